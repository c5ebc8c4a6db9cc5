"""The four default reminders (30, 7 and 1 days before 2 November, and the day itself), with
texts in English, French, Spanish and Arabic. Editable in admin afterwards; the texts are
frozen here so that the migration gives the same result whatever the code becomes.

The lists (unresolved cases in the subscriber's country, open campaigns they have not signed,
the share of unresolved cases worldwide) are added by letters/reminder_content.py after the
body, as each reminder's "include" switches say, unless the body places them itself.
"""

from django.db import migrations

DEFAULT_REMINDERS = {
    30: {
        "name": "One month before 2 November",
        "texts": {
            "en": (
                "One month to 2 November: justice for journalists killed in {country}",
                "Hello,\n\n"
                "On {date}, the world marks the International Day to End Impunity for Crimes "
                "against Journalists. There are {days_left} days left to prepare.\n\n"
                "In {country}, our database records {unresolved_count_country} killings of "
                "journalists and media workers for which no one has been convicted. Each of "
                "them is a person killed for their work, and a family still waiting for "
                "justice.\n\n"
                "Take a few minutes this month: read what happened, and sign a letter to the "
                "officials who can reopen these cases.",
            ),
            "fr": (
                "Dans un mois, le 2 novembre : justice pour les journalistes tués",
                "Bonjour,\n\n"
                "Le {date}, le monde célèbre la Journée internationale de la fin de l'impunité "
                "pour les crimes commis contre des journalistes. Il reste {days_left} jours "
                "pour s'y préparer.\n\n"
                "{country} : notre base de données recense {unresolved_count_country} meurtres "
                "de journalistes et de professionnels des médias pour lesquels personne n'a été "
                "condamné. Derrière chacun d'eux, une personne tuée pour son travail, et une "
                "famille qui attend toujours justice.\n\n"
                "Prenez quelques minutes ce mois-ci : lisez ce qui s'est passé, et signez une "
                "lettre aux responsables qui peuvent rouvrir ces dossiers.",
            ),
            "es": (
                "Falta un mes para el 2 de noviembre: justicia para los periodistas asesinados",
                "Hola:\n\n"
                "El {date}, el mundo conmemora el Día Internacional para poner fin a la "
                "impunidad de los crímenes contra periodistas. Quedan {days_left} días para "
                "prepararse.\n\n"
                "En {country}, nuestra base de datos registra {unresolved_count_country} "
                "asesinatos de periodistas y trabajadores de medios por los que nadie ha sido "
                "condenado. Cada uno es una persona asesinada por su trabajo y una familia que "
                "sigue esperando justicia.\n\n"
                "Dedique unos minutos este mes: lea lo que ocurrió y firme una carta a las "
                "autoridades que pueden reabrir estos casos.",
            ),
            "ar": (
                "شهر واحد حتى 2 نوفمبر: العدالة للصحفيين الذين قُتلوا",
                "مرحبًا،\n\n"
                "في {date} يحيي العالم اليوم الدولي لإنهاء الإفلات من العقاب على الجرائم "
                "المرتكبة ضد الصحفيين. بقي {days_left} يومًا للاستعداد.\n\n"
                "في {country}، تسجّل قاعدة بياناتنا {unresolved_count_country} حالة قتل "
                "لصحفيين وعاملين في وسائل الإعلام لم يُدَن فيها أحد. وراء كل حالة إنسان قُتل "
                "بسبب عمله، وعائلة ما زالت تنتظر العدالة.\n\n"
                "خصّص بضع دقائق هذا الشهر: اقرأ ما حدث، ووقّع رسالة إلى المسؤولين القادرين "
                "على إعادة فتح هذه القضايا.",
            ),
        },
    },
    7: {
        "name": "One week before 2 November",
        "texts": {
            "en": (
                "One week until 2 November",
                "Hello,\n\n"
                "In one week, on {date}, people around the world will ask governments to end "
                "impunity for the killing of journalists.\n\n"
                "In {country}, {unresolved_count_country} killings of journalists remain "
                "unresolved in our database. Officials answer when many people write to them: "
                "please sign a letter this week, and ask one friend to do the same.",
            ),
            "fr": (
                "Plus qu'une semaine avant le 2 novembre",
                "Bonjour,\n\n"
                "Dans une semaine, le {date}, des personnes du monde entier demanderont aux "
                "gouvernements de mettre fin à l'impunité des meurtres de journalistes.\n\n"
                "{country} : {unresolved_count_country} meurtres de journalistes restent non "
                "élucidés dans notre base de données. Les responsables répondent quand beaucoup "
                "de personnes leur écrivent : signez une lettre cette semaine, et proposez à "
                "une personne de votre entourage d'en faire autant.",
            ),
            "es": (
                "Falta una semana para el 2 de noviembre",
                "Hola:\n\n"
                "Dentro de una semana, el {date}, personas de todo el mundo pedirán a los "
                "gobiernos que pongan fin a la impunidad de los asesinatos de periodistas.\n\n"
                "En {country}, {unresolved_count_country} asesinatos de periodistas siguen sin "
                "resolverse en nuestra base de datos. Las autoridades responden cuando mucha "
                "gente les escribe: firme una carta esta semana y pida a una persona cercana "
                "que haga lo mismo.",
            ),
            "ar": (
                "أسبوع واحد حتى 2 نوفمبر",
                "مرحبًا،\n\n"
                "بعد أسبوع، في {date}، سيطالب الناس في جميع أنحاء العالم الحكومات بإنهاء "
                "الإفلات من العقاب على قتل الصحفيين.\n\n"
                "في {country}، ما زالت {unresolved_count_country} حالة قتل لصحفيين دون حلّ في "
                "قاعدة بياناتنا. يستجيب المسؤولون عندما يكتب إليهم كثيرون: وقّع رسالة هذا "
                "الأسبوع، واطلب من صديق أن يفعل الشيء نفسه.",
            ),
        },
    },
    1: {
        "name": "The day before 2 November",
        "texts": {
            "en": (
                "Tomorrow is 2 November",
                "Hello,\n\n"
                "Tomorrow, {date}, is the International Day to End Impunity for Crimes against "
                "Journalists.\n\n"
                "Worldwide, {world_unresolved_percent}% of the killings of journalists in our "
                "database are unresolved: no one has been convicted.\n\n"
                "If you have not signed yet, today is a good day to do it. If you have, share "
                "the cases of {country} with the people around you: a name that is remembered "
                "is a case that is not closed.",
            ),
            "fr": (
                "Demain, c'est le 2 novembre",
                "Bonjour,\n\n"
                "Demain, {date}, c'est la Journée internationale de la fin de l'impunité pour "
                "les crimes commis contre des journalistes.\n\n"
                "Dans le monde, {world_unresolved_percent} % des meurtres de journalistes de "
                "notre base de données restent non élucidés : personne n'a été condamné.\n\n"
                "Si vous n'avez pas encore signé, c'est le bon jour pour le faire. Si vous "
                "l'avez fait, parlez autour de vous des cas de ce pays : {country}. Un nom dont "
                "on se souvient est un dossier qui n'est pas clos.",
            ),
            "es": (
                "Mañana es 2 de noviembre",
                "Hola:\n\n"
                "Mañana, {date}, es el Día Internacional para poner fin a la impunidad de los "
                "crímenes contra periodistas.\n\n"
                "En el mundo, el {world_unresolved_percent} % de los asesinatos de periodistas "
                "de nuestra base de datos siguen sin resolverse: nadie ha sido condenado.\n\n"
                "Si aún no ha firmado, hoy es un buen día para hacerlo. Si ya lo hizo, comparta "
                "los casos de {country} con las personas de su entorno: un nombre que se "
                "recuerda es un caso que no se cierra.",
            ),
            "ar": (
                "غدًا 2 نوفمبر",
                "مرحبًا،\n\n"
                "غدًا، {date}، هو اليوم الدولي لإنهاء الإفلات من العقاب على الجرائم المرتكبة "
                "ضد الصحفيين.\n\n"
                "في العالم، {world_unresolved_percent}٪ من حالات قتل الصحفيين في قاعدة "
                "بياناتنا ما زالت دون حلّ: لم يُدَن فيها أحد.\n\n"
                "إن لم توقّع بعد، فاليوم مناسب لذلك. وإن كنت قد وقّعت، فشارك قضايا {country} "
                "مع من حولك: الاسم الذي نتذكّره قضية لا تُغلق.",
            ),
        },
    },
    0: {
        "name": "On 2 November",
        "texts": {
            "en": (
                "Today is 2 November: end impunity for crimes against journalists",
                "Hello,\n\n"
                "Today, {date}, is the International Day to End Impunity for Crimes against "
                "Journalists.\n\n"
                "Nearly nine in ten killings of journalists go unpunished. Today, say their "
                "names: talk about the unresolved cases in {country}, share them, and write to "
                "the officials who can act.\n\n"
                "Thank you for standing with journalists and their families.",
            ),
            "fr": (
                "Aujourd'hui, 2 novembre : mettre fin à l'impunité des crimes contre les "
                "journalistes",
                "Bonjour,\n\n"
                "Aujourd'hui, {date}, c'est la Journée internationale de la fin de l'impunité "
                "pour les crimes commis contre des journalistes.\n\n"
                "Près de neuf meurtres de journalistes sur dix restent impunis. Aujourd'hui, "
                "prononcez leurs noms : parlez des cas non élucidés de ce pays, {country}, "
                "partagez-les, et écrivez aux responsables qui peuvent agir.\n\n"
                "Merci d'être aux côtés des journalistes et de leurs familles.",
            ),
            "es": (
                "Hoy es 2 de noviembre: fin a la impunidad de los crímenes contra periodistas",
                "Hola:\n\n"
                "Hoy, {date}, es el Día Internacional para poner fin a la impunidad de los "
                "crímenes contra periodistas.\n\n"
                "Casi nueve de cada diez asesinatos de periodistas quedan impunes. Hoy, "
                "pronuncie sus nombres: hable de los casos sin resolver en {country}, "
                "compártalos y escriba a las autoridades que pueden actuar.\n\n"
                "Gracias por estar del lado de los periodistas y de sus familias.",
            ),
            "ar": (
                "اليوم 2 نوفمبر: لننهِ الإفلات من العقاب على الجرائم ضد الصحفيين",
                "مرحبًا،\n\n"
                "اليوم، {date}، هو اليوم الدولي لإنهاء الإفلات من العقاب على الجرائم المرتكبة "
                "ضد الصحفيين.\n\n"
                "ما يقارب تسع من كل عشر جرائم قتل للصحفيين تمرّ دون عقاب. اليوم، اذكر "
                "أسماءهم: تحدّث عن القضايا التي لم تُحلّ في {country}، وشاركها، واكتب إلى "
                "المسؤولين القادرين على التحرك.\n\n"
                "شكرًا لوقوفك إلى جانب الصحفيين وعائلاتهم.",
            ),
        },
    },
}


def create_default_reminders(apps, schema_editor):
    Reminder = apps.get_model("letters", "Reminder")
    ReminderText = apps.get_model("letters", "ReminderText")
    for days_before, definition in DEFAULT_REMINDERS.items():
        reminder, _ = Reminder.objects.get_or_create(
            days_before=days_before, defaults={"name": definition["name"]}
        )
        for language, (subject, body) in definition["texts"].items():
            ReminderText.objects.get_or_create(
                reminder=reminder, language=language, defaults={"subject": subject, "body": body}
            )


def delete_default_reminders(apps, schema_editor):
    Reminder = apps.get_model("letters", "Reminder")
    Reminder.objects.filter(days_before__in=list(DEFAULT_REMINDERS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0008_beat_schedules"),
    ]

    operations = [
        migrations.RunPython(create_default_reminders, delete_default_reminders),
    ]
