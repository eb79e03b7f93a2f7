from django.db import migrations, models


class Migration(migrations.Migration):
    """Sign-offs record the capacity they were given in and the party's section hash; a
    baseline lists every party's standing sign-off. Old rows are filled in by 0004."""

    dependencies = [
        ('plans', '0003_suspectlink'),
    ]

    operations = [
        migrations.AddField(
            model_name="signoff",
            name="role",
            field=models.CharField(
                choices=[("PM", "as PM"), ("DEV", "as DEV")],
                default="DEV",
                max_length=10,
                verbose_name="signed as",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signoff",
            name="section_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="baseline",
            name="signoffs",
            field=models.ManyToManyField(blank=True, related_name="baselines", to="plans.signoff"),
        ),
    ]
