from django.db import migrations

TOPICS = [
    "十四五规划",
    "转型发展",
    "招商引智",
    "营商环境",
    "城乡建设",
    "文化旅游",
    "农业农村",
    "生态环保",
    "社会民生",
    "文明城市创建",
    "其他",
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("suggestions", "Topic")
    for order, name in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0001_initial")]

    operations = [migrations.RunPython(add_topics, migrations.RunPython.noop)]
