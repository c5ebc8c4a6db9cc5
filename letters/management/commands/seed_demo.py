"""Demo data for a newcomer's first look: idempotent, so it can run on every start.

The people are fictional (marked as such on their pages): a demo must never misstate facts about
a real person who was killed.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from campaigns.models import Campaign, LetterTemplate, Membership, Organisation, Target
from cases.models import (
    Beat,
    Case,
    CaseEvent,
    CaseSource,
    ExternalId,
    Incident,
    Medium,
    Perpetrator,
)

DEMO_USERNAME = "coordinator"
DEMO_PASSWORD = "demo-coordinator-2026"  # noqa: S105 - printed on screen, demo database only
DEMO_NOTE = "Fictional case, part of the demonstration data."

MEDIA = {"print": "Print", "television": "Television", "radio": "Radio", "online": "Internet"}
BEATS = {
    "politics": "Politics",
    "crime": "Crime",
    "corruption": "Corruption",
    "human-rights": "Human rights",
    "war": "War",
    "environment": "Environment",
}
PERPETRATORS = {
    "criminal-group": "Criminal group",
    "government-officials": "Government officials",
    "military": "Military officials",
    "political-group": "Political group",
    "unknown": "Unknown",
}

# (name, country, place, date, precision, medium, beat, type, impunity, unesco, perpetrator, gender)
CASES = [
    (
        "Lucía Beltrán Ortega",
        "MX",
        "Culiacán, Sinaloa",
        "2017-05-15",
        "day",
        "print",
        "crime",
        "murder",
        "partial",
        "ongoing",
        "criminal-group",
        "female",
    ),
    (
        "Ramón Ibarra Salcedo",
        "MX",
        "Veracruz",
        "2019-03-02",
        "day",
        "radio",
        "corruption",
        "murder",
        "complete",
        "ongoing",
        "criminal-group",
        "male",
    ),
    (
        "Tomás Quintero Vela",
        "MX",
        "Tijuana",
        "2022-01-17",
        "day",
        "online",
        "crime",
        "murder",
        "complete",
        "no_information",
        "unknown",
        "male",
    ),
    (
        "Elena Robles Mendoza",
        "MX",
        "Acapulco",
        "2020-08-01",
        "month",
        "television",
        "politics",
        "murder",
        "full_justice",
        "resolved",
        "criminal-group",
        "female",
    ),
    (
        "Marco Delgado Fuentes",
        "MX",
        "Chihuahua",
        "2016",
        "year",
        "print",
        "corruption",
        "murder",
        "complete",
        "archived",
        "government-officials",
        "male",
    ),
    (
        "Jun Reyes Manalo",
        "PH",
        "Ampatuan, Maguindanao",
        "2009-11-23",
        "day",
        "print",
        "politics",
        "murder",
        "partial",
        "killers_identified",
        "political-group",
        "male",
    ),
    (
        "Liza Santos Dizon",
        "PH",
        "Ampatuan, Maguindanao",
        "2009-11-23",
        "day",
        "radio",
        "politics",
        "murder",
        "partial",
        "killers_identified",
        "political-group",
        "female",
    ),
    (
        "Arnel Cruz Bautista",
        "PH",
        "Dumaguete",
        "2023-02-11",
        "day",
        "radio",
        "corruption",
        "murder",
        "complete",
        "ongoing",
        "unknown",
        "male",
    ),
    (
        "Ravi Deshmukh",
        "IN",
        "Bengaluru",
        "2017-09-05",
        "day",
        "print",
        "politics",
        "murder",
        "complete",
        "ongoing",
        "political-group",
        "male",
    ),
    (
        "Priya Nair",
        "IN",
        "Kanpur",
        "2021-06-13",
        "day",
        "online",
        "crime",
        "murder",
        "complete",
        "no_information",
        "criminal-group",
        "female",
    ),
    (
        "Sandeep Rawat",
        "IN",
        "Dehradun",
        "2018-04-01",
        "month",
        "television",
        "environment",
        "murder",
        "full_justice",
        "resolved",
        "local-residents",
        "male",
    ),
    (
        "Olga Verbitskaya",
        "RU",
        "Moscow",
        "2006-10-07",
        "day",
        "print",
        "human-rights",
        "murder",
        "partial",
        "ongoing",
        "unknown",
        "female",
    ),
    (
        "Dmitri Kalinin",
        "RU",
        "Makhachkala",
        "2013-07-09",
        "day",
        "print",
        "war",
        "murder",
        "complete",
        "no_information",
        "unknown",
        "male",
    ),
    (
        "Bilal Ahmed Khan",
        "PK",
        "Karachi",
        "2011-05-29",
        "day",
        "online",
        "war",
        "murder",
        "complete",
        "ongoing",
        "military",
        "male",
    ),
    (
        "Sadia Qureshi",
        "PK",
        "Quetta",
        "2016-08-08",
        "day",
        "television",
        "war",
        "dangerous_assignment",
        "",
        "no_information",
        "unknown",
        "female",
    ),
    (
        "Imran Baloch",
        "PK",
        "Turbat",
        "2020",
        "year",
        "radio",
        "human-rights",
        "murder",
        "complete",
        "no_information",
        "unknown",
        "male",
    ),
    (
        "Antônio Ferreira Lima",
        "BR",
        "Altamira, Pará",
        "2015-05-19",
        "day",
        "radio",
        "environment",
        "murder",
        "full_justice",
        "resolved",
        "local-residents",
        "male",
    ),
    (
        "Juliana Castro Moura",
        "BR",
        "Rio de Janeiro",
        "2019-11-30",
        "day",
        "online",
        "crime",
        "murder",
        "complete",
        "ongoing",
        "criminal-group",
        "female",
    ),
    (
        "Karim Haddad",
        "SY",
        "Aleppo",
        "2014-02-03",
        "day",
        "television",
        "war",
        "crossfire",
        "",
        "no_information",
        "military",
        "male",
    ),
    (
        "Nour Al-Masri",
        "SY",
        "Idlib",
        "2018-12-20",
        "day",
        "online",
        "war",
        "murder",
        "complete",
        "no_information",
        "military",
        "female",
    ),
]

TARGETS = [
    (
        "Attorney General of the Republic",
        "Attorney General",
        "Fiscalía General de la República",
        "MX",
        "es",
    ),
    (
        "Special Prosecutor for Crimes against Freedom of Expression",
        "Special Prosecutor",
        "FEADLE",
        "MX",
        "es",
    ),
    ("Secretary of Justice", "Secretary", "Department of Justice", "PH", "en"),
]


DEMO_LETTERS = {
    "en": (
        "Reopen the investigations into the killings of journalists",
        "Dear {target_name},\n\n"
        "I am writing to you as {target_position} about these journalists, whose killings "
        "remain unresolved:\n\n{cases}\n\n"
        "I urge you to reopen these investigations, to bring everyone responsible to justice, "
        "including those who ordered the killings, and to protect the victims' families.\n\n"
        "Yours sincerely,\n{signer_name}\n{signer_city} {signer_country}",
    ),
    "es": (
        "Reabran las investigaciones sobre los asesinatos de periodistas",
        "Estimado/a {target_name}:\n\n"
        "Me dirijo a usted como {target_position} en relación con estos periodistas, cuyos "
        "asesinatos siguen impunes:\n\n{cases}\n\n"
        "Le pido que reabra estas investigaciones, que lleve ante la justicia a todos los "
        "responsables, incluidos quienes ordenaron los asesinatos, y que proteja a las "
        "familias de las víctimas.\n\n"
        "Atentamente,\n{signer_name}\n{signer_city} {signer_country}",
    ),
}


class Command(BaseCommand):
    help = (
        "Load demonstration data (idempotent): cases, an organisation, a coordinator, a campaign."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        media = {
            slug: Medium.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in MEDIA.items()
        }
        beats = {
            slug: Beat.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in BEATS.items()
        }
        perpetrator_names = {**PERPETRATORS, "local-residents": "Local residents"}
        perpetrators = {
            slug: Perpetrator.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in perpetrator_names.items()
        }
        massacre, _ = Incident.objects.get_or_create(
            name="Demonstration incident: convoy attack, Maguindanao",
            defaults={
                "date": datetime.date(2009, 11, 23),
                "country": "PH",
                "description": DEMO_NOTE,
            },
        )

        cases = [
            self._case(n, row, media, beats, perpetrators, massacre)
            for n, row in enumerate(CASES, 1)
        ]

        organisation, _ = Organisation.objects.get_or_create(
            slug="demo-press-freedom-network",
            defaults={
                "name": "Demo Press Freedom Network",
                "country": "MX",
                "website": "https://example.org",
                "contact_email": "team@example.org",
            },
        )
        user, login = self._coordinator(organisation)

        targets = []
        for name, position, institution, country, language in TARGETS:
            target, _ = Target.objects.get_or_create(
                name=name,
                country=country,
                defaults={
                    "position": position,
                    "institution": institution,
                    "language": language,
                    "email": f"{position.lower().replace(' ', '.')}@example.org",
                    "postal_address": f"{institution}\n{country}",
                    "source_url": "https://example.org/officials",
                    "last_verified": datetime.date(2026, 10, 1),
                    "created_by_organisation": organisation,
                },
            )
            targets.append(target)

        campaign, created = Campaign.objects.get_or_create(
            slug="justice-for-journalists-in-mexico",
            defaults={
                "organisation": organisation,
                "title": "Reopen the investigations into journalists killed in Mexico",
                "summary": (
                    "Most killings of journalists in Mexico remain unpunished. We ask the "
                    "Attorney General and the Special Prosecutor to reopen these cases, to "
                    "prosecute those who ordered the killings and to protect the families."
                ),
                "goal": 5000,
                "delivery_mode": Campaign.DeliveryMode.EACH,
            },
        )
        if created:
            campaign.cases.set([c for c in cases if c.country == "MX"])
            campaign.targets.set([t for t in targets if t.country == "MX"])
            for language, (subject, body) in DEMO_LETTERS.items():
                LetterTemplate.objects.create(
                    campaign=campaign, language=language, subject=subject, body=body
                )
            campaign.publish(user=user)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(cases)} cases, 1 organisation, {len(targets)} officials, "
                f"campaign /campaigns/{campaign.slug}/."
            )
        )
        self.stdout.write(login)

    def _case(self, n, row, media, beats, perpetrators, incident):
        (
            name,
            country,
            place,
            when,
            precision,
            medium,
            beat,
            death,
            impunity,
            unesco,
            perpetrator,
            gender,
        ) = row
        year = int(when[:4])
        date = {
            "day": lambda: datetime.date.fromisoformat(when),
            "month": lambda: datetime.date.fromisoformat(when).replace(day=1),
            "year": lambda: datetime.date(year, 1, 1),
        }[precision]()
        external = (
            ExternalId.objects.filter(source=ExternalId.Source.NATIVE, value=f"demo-{n}")
            .select_related("case")
            .first()
        )
        if external:
            return external.case
        case = Case.objects.create(
            full_name=name,
            sort_name=name.split()[-1] + ", " + " ".join(name.split()[:-1]),
            country=country,
            place=place,
            date_of_death=date,
            date_precision=precision,
            year=year,
            gender=gender,
            role=Case.Role.JOURNALIST,
            type_of_death=death,
            impunity=impunity,
            unesco_status=unesco,
            origin=Case.Origin.LOCAL,
            employment=Case.Employment.STAFF,
            motive_confirmed=death == "murder",
            incident=incident if "Maguindanao" in place else None,
            outlets="Demo "
            + {"print": "Daily", "radio": "Radio", "television": "TV", "online": "News"}[medium],
            summary=f"{DEMO_NOTE} {name} reported on {beat.replace('-', ' ')} in {place}.",
            is_published=True,
            last_reviewed=datetime.date(2026, 10, 1),
        )
        case.media.add(media[medium])
        case.beats.add(beats[beat])
        case.perpetrators.add(perpetrators[perpetrator])
        ExternalId.objects.create(case=case, source=ExternalId.Source.NATIVE, value=f"demo-{n}")
        CaseEvent.objects.create(
            case=case,
            date=date,
            date_precision=precision,
            kind=CaseEvent.Kind.INVESTIGATION,
            description="Prosecutors open an investigation.",
            source_url="https://example.org/source",
            source_title="Demo source",
        )
        if impunity in {"partial", "full_justice"}:
            CaseEvent.objects.create(
                case=case,
                date=date.replace(year=year + 2),
                kind=CaseEvent.Kind.CONVICTION,
                description="A court convicts the gunman.",
                source_url="https://example.org/source",
                source_title="Demo source",
            )
        CaseSource.objects.create(
            case=case,
            url="https://example.org/source",
            title="Demo source",
            publisher="Demo Publisher",
        )
        return case

    def _coordinator(self, organisation):
        """The demo coordinator. With DEBUG off (a production database), never the password
        printed in the README, and an existing account's password and rights are left as they
        are: the command says which it did."""
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "coordinator@example.org"}
        )
        if settings.DEBUG:
            user.is_staff = user.is_superuser = True
            user.set_password(DEMO_PASSWORD)
            user.save()
            login = (
                f"Coordinator login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r} "
                "(also a Django admin superuser on this demo database; at the first sign-in "
                "it asks you to set up two-factor sign-in with an authenticator app)."
            )
        elif created:
            user.set_unusable_password()
            user.save()
            login = (
                f"DEBUG is off: created coordinator {DEMO_USERNAME!r} without a password and "
                "without admin rights; give it a password with "
                f"`manage.py changepassword {DEMO_USERNAME}`."
            )
        else:
            login = (
                f"DEBUG is off: coordinator {DEMO_USERNAME!r} already exists; its password "
                "and rights are unchanged."
            )
        Membership.objects.get_or_create(
            user=user,
            organisation=organisation,
            defaults={"role": Membership.Role.OWNER},
        )
        return user, login
