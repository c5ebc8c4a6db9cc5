"""The UNESCO observatory of killed journalists, as exported to CSV (one row per person).

Column headers (any case or spacing; alternatives in brackets) are documented in
docs/importing.md. UNESCO's judicial status goes to `unesco_status` only: CPJ's impunity status
on the same case is never touched.
"""

from django.utils.translation import gettext as _

from cases.models import Case, ExternalId

from .base import CaseFormat, ParsedRow
from .cpj import terms
from .reading import RawRow
from .values import (
    MEDIUM_TERMS,
    RowError,
    choice,
    choices_mapping,
    join_multi,
    limited,
    parse_date,
    split_multi,
    text,
    yes_no,
)

STATUSES = choices_mapping(
    Case.UnescoStatus.choices,
    {
        "resolved": "resolved",
        "killer identified": "killers_identified",
        "killers identified": "killers_identified",
        "killer s identified": "killers_identified",
        "perpetrators identified": "killers_identified",
        "ongoing": "ongoing",
        "unresolved": "ongoing",
        "ongoing unresolved": "ongoing",
        "archived": "archived",
        "unresolved archived": "archived",
        "no information": "no_information",
        "no information received": "no_information",
        "no info": "no_information",
        "no reply": "no_information",
    },
)
GENDERS = choices_mapping(Case.Gender.choices, {"m": "male", "f": "female"})
STAFF = choices_mapping(
    Case.Employment.choices, {"yes": "staff", "y": "staff", "no": "freelance", "n": "freelance"}
)
LOCAL = choices_mapping(
    Case.Origin.choices, {"yes": "local", "y": "local", "no": "foreign", "n": "foreign"}
)


class UnescoFormat(CaseFormat):
    name = "unesco"
    source = ExternalId.Source.UNESCO
    country_column = "country_code"
    name_column = "name"
    columns = {
        "id": ("unesco_id", "observatory_id", "record_id"),
        "name": ("full_name", "journalist", "full name"),
        "country_code": ("country", "iso", "iso2", "iso_code"),
        "date": ("date_of_death", "date_of_killing", "killed_on"),
        "gender": ("sex",),
        "enquiry_status": (
            "judicial_status",
            "status_of_judicial_enquiry",
            "inquiry_status",
            "judicial_enquiry",
        ),
        "staff": ("staff_freelance", "employment"),
        "local": ("local_foreign", "origin"),
        "conflict_zone": ("conflict", "conflict_situation"),
        "media": ("medium", "media_type"),
        "date_of_resolution": ("resolution_date", "resolved_on"),
        "place": ("city", "location"),
        "outlet": ("outlets", "media_outlet", "organization"),
    }
    required = ("name", "country_code", "date")

    def parse(self, row: RawRow, resolver) -> ParsedRow:
        v = row.values
        fields: dict = {"full_name": limited(text(v["name"]), 200, "name")}
        if not fields["full_name"]:
            raise RowError(_("name is empty."))
        date, precision = parse_date(v["date"], "date")
        if not date:
            raise RowError(_("date is empty."))
        fields.update(date_of_death=date, date_precision=precision, year=date.year)
        if "gender" in v:
            fields["gender"] = choice(v["gender"], GENDERS, "gender", blank="unknown")
        if "enquiry_status" in v:
            fields["unesco_status"] = choice(v["enquiry_status"], STATUSES, "enquiry status")
        if "staff" in v:
            fields["employment"] = choice(v["staff"], STAFF, "staff", blank="unknown")
        if "local" in v:
            fields["origin"] = choice(v["local"], LOCAL, "local", blank="unknown")
        if "conflict_zone" in v:
            fields["conflict_zone"] = yes_no(v["conflict_zone"], "conflict zone")
        if "date_of_resolution" in v:
            resolved, _precision = parse_date(v["date_of_resolution"], "date of resolution")
            fields["resolved_on"] = resolved
        if "place" in v:
            fields["place"] = limited(text(v["place"]), 200, "place")
        if "outlet" in v:
            fields["outlets"] = limited(join_multi(split_multi(v["outlet"])), 300, "outlet")
        m2m = {"media": terms(v["media"], MEDIUM_TERMS)} if "media" in v else {}
        return ParsedRow(
            line=row.line,
            raw=row.raw,
            fields=fields,
            m2m=m2m,
            country_raw=v["country_code"],
            key=text(v.get("id", ""))[:200],
        )
