"""The fields of a case as they leave the site: every list of them, each run of names once.

A case goes out three ways: the case list's downloads (CSV and JSON), the API, and IDEI's native
file (the admin's export, which imports back). Each keeps the columns and the order it was
published with, since spreadsheets and scripts read columns by position; and those orders are
not one order (the downloads put employment before gender, the API after it). So each way out
has its own list here, made of the runs below that it shares with the others.
"""

# A case at a glance: its page, who was killed, where and when, and their role. Both public
# representations (the downloads and the API) begin with it.
AT_A_GLANCE = (
    "url",
    "full_name",
    "country",
    "country_name",
    "place",
    "date_of_death",
    "date_precision",
    "year",
    "role",
)

# Who the person was, and how they were killed: sections of the admin's case form, which the
# native file follows column by column, so that whatever an editor may change in the form can
# also be changed in the file.
WHO = (
    "gender",
    "nationalities",
    "role",
    "employment",
    "origin",
    "media",
    "beats",
    "jobs",
    "outlets",
)
CIRCUMSTANCES = (
    "type_of_death",
    "motive_confirmed",
    "perpetrators",
    "threatened",
    "captive",
    "tortured",
    "conflict_zone",
)

# The columns of the case list's CSV download, and the keys of each case in the JSON one.
DOWNLOAD_FIELDS = (
    *AT_A_GLANCE,
    "employment",
    "origin",
    "gender",
    "outlets",
    "jobs",
    "media",
    "type_of_death",
    "perpetrators",
    "motive_confirmed",
    "impunity",
    "unesco_status",
    "status",
    "unresolved",
    "resolved_on",
    "summary",
    "last_reviewed",
    "source_of_record",  # the credit its source asks for (attribution.py)
)

# A case in the API's lists; one case alone also has its summary, events and sources.
API_FIELDS = (
    "id",
    "slug",
    *AT_A_GLANCE,
    "gender",
    "origin",
    "employment",
    "media",
    "type_of_death",
    "impunity",
    "unesco_status",
    "unresolved",
    "status",
    "outlets",
    "incident",
    "source_of_record",  # the credit its source asks for (attribution.py)
)

# The native file's columns (date_precision and year are written in the date of death's cell).
NATIVE_COLUMNS = (
    "slug",
    "full_name",
    "sort_name",
    *WHO,
    "date_of_death",
    "country",
    "place",
    *CIRCUMSTANCES,
    "impunity",
    "unesco_status",
    "resolved_on",
    "incident",
    "summary",
    "last_reviewed",
    "published",
    "external_ids",
)
