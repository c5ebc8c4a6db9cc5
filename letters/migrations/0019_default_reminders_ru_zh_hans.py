"""The four default reminders in Russian and Simplified Chinese, beside the texts of 0009.

Frozen here like those; an admin's later edit is kept (get_or_create), and only texts in these
two languages are removed when migrating back.
"""

from django.db import migrations

TEXTS = {
    30: {
        "ru": (
            "Месяц до 2 ноября: справедливость для журналистов, убитых в стране {country}",
            "Здравствуйте!\n\n"
            "{date} мир отмечает Международный день прекращения безнаказанности за "
            "преступления против журналистов. До него осталось дней: {days_left}.\n\n"
            "В стране {country} наша база данных насчитывает нераскрытых убийств журналистов "
            "и работников СМИ, за которые никто не осуждён: {unresolved_count_country}. За "
            "каждым из них — человек, убитый за свою работу, и семья, которая всё ещё ждёт "
            "справедливости.\n\n"
            "Найдите в этом месяце несколько минут: прочитайте, что произошло, и подпишите "
            "письмо должностным лицам, которые могут возобновить эти дела.",
        ),
        "zh-hans": (
            "距离 11 月 2 日还有一个月：为在{country}遇害的记者伸张正义",
            "您好：\n\n"
            "{date}，全世界将纪念终止危害记者罪不受惩罚现象国际日。距离这一天还有 "
            "{days_left} 天。\n\n"
            "在{country}，我们的数据库记录了 {unresolved_count_country} 起无人被定罪的"
            "记者和媒体工作者遇害案件。每一起案件背后，都是一个因工作而遇害的人，以及一个"
            "仍在等待正义的家庭。\n\n"
            "这个月请抽出几分钟：了解事件经过，并签署一封致能够重启这些案件的官员的信。",
        ),
    },
    7: {
        "ru": (
            "Неделя до 2 ноября",
            "Здравствуйте!\n\n"
            "Через неделю, {date}, люди во всём мире потребуют от правительств положить конец "
            "безнаказанности за убийства журналистов.\n\n"
            "В стране {country} в нашей базе остаются нераскрытыми убийства журналистов: "
            "{unresolved_count_country}. Должностные лица отвечают, когда им пишут многие: "
            "пожалуйста, подпишите письмо на этой неделе и попросите одного друга сделать "
            "то же самое.",
        ),
        "zh-hans": (
            "距离 11 月 2 日还有一周",
            "您好：\n\n"
            "一周后，即 {date}，世界各地的人们将要求各国政府终止杀害记者而不受惩罚的现象。\n\n"
            "在{country}，我们数据库中仍有 {unresolved_count_country} 起记者遇害案件未解决。"
            "当很多人写信时，官员就会回应：请在本周签署一封信，并请一位朋友也这样做。",
        ),
    },
    1: {
        "ru": (
            "Завтра 2 ноября",
            "Здравствуйте!\n\n"
            "Завтра, {date}, — Международный день прекращения безнаказанности за преступления "
            "против журналистов.\n\n"
            "В мире {world_unresolved_percent} % убийств журналистов в нашей базе не раскрыты: "
            "никто не осуждён.\n\n"
            "Если вы ещё не подписали, сегодня хороший день, чтобы это сделать. Если уже "
            "подписали, расскажите окружающим о делах в стране {country}: имя, которое "
            "помнят, — это дело, которое не закрыто.",
        ),
        "zh-hans": (
            "明天是 11 月 2 日",
            "您好：\n\n"
            "明天，即 {date}，是终止危害记者罪不受惩罚现象国际日。\n\n"
            "在全球范围内，我们数据库中 {world_unresolved_percent}% 的记者遇害案件未解决："
            "无人被定罪。\n\n"
            "如果您还没有签名，今天正是签名的好时机。如果您已经签名，请与身边的人分享"
            "{country}的案件：被记住的名字，就是没有结案的案件。",
        ),
    },
    0: {
        "ru": (
            "Сегодня 2 ноября: положим конец безнаказанности за преступления против журналистов",
            "Здравствуйте!\n\n"
            "Сегодня, {date}, — Международный день прекращения безнаказанности за "
            "преступления против журналистов.\n\n"
            "Почти девять из десяти убийств журналистов остаются безнаказанными. Сегодня "
            "назовите их имена: расскажите о нераскрытых делах в стране {country}, поделитесь "
            "ими и напишите должностным лицам, которые могут действовать.\n\n"
            "Спасибо, что вы на стороне журналистов и их семей.",
        ),
        "zh-hans": (
            "今天是 11 月 2 日：终止危害记者罪不受惩罚现象",
            "您好：\n\n"
            "今天，即 {date}，是终止危害记者罪不受惩罚现象国际日。\n\n"
            "近九成的记者遇害案件中，凶手逍遥法外。今天，请说出他们的名字：谈谈{country}的"
            "未解决案件，分享它们，并写信给能够采取行动的官员。\n\n"
            "感谢您与记者及其家人站在一起。",
        ),
    },
}


def add_texts(apps, schema_editor):
    Reminder = apps.get_model("letters", "Reminder")
    ReminderText = apps.get_model("letters", "ReminderText")
    for reminder in Reminder.objects.filter(days_before__in=list(TEXTS)):
        for language, (subject, body) in TEXTS[reminder.days_before].items():
            ReminderText.objects.get_or_create(
                reminder=reminder, language=language, defaults={"subject": subject, "body": body}
            )


def remove_texts(apps, schema_editor):
    ReminderText = apps.get_model("letters", "ReminderText")
    ReminderText.objects.filter(
        reminder__days_before__in=list(TEXTS), language__in=["ru", "zh-hans"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0018_six_un_languages"),
    ]

    operations = [
        migrations.RunPython(add_texts, remove_texts),
    ]
