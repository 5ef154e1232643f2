"""Reference data: nationalities and the profession catalogue (editable by staff afterwards)."""

from django.db import migrations

NATIONALITIES = [
    ("IND", "الهند", "India"),
    ("PAK", "باكستان", "Pakistan"),
    ("BGD", "بنغلاديش", "Bangladesh"),
    ("EGY", "مصر", "Egypt"),
    ("PHL", "الفلبين", "Philippines"),
    ("NPL", "نيبال", "Nepal"),
    ("YEM", "اليمن", "Yemen"),
    ("SDN", "السودان", "Sudan"),
    ("LKA", "سريلانكا", "Sri Lanka"),
    ("IDN", "إندونيسيا", "Indonesia"),
    ("JOR", "الأردن", "Jordan"),
    ("SYR", "سوريا", "Syria"),
    ("ETH", "إثيوبيا", "Ethiopia"),
    ("KEN", "كينيا", "Kenya"),
    ("UGA", "أوغندا", "Uganda"),
    ("TUR", "تركيا", "Türkiye"),
    ("LBN", "لبنان", "Lebanon"),
    ("USA", "الولايات المتحدة", "United States"),
    ("GBR", "المملكة المتحدة", "United Kingdom"),
    ("MAR", "المغرب", "Morocco"),
]

# (code, Arabic, English, generic title)
PROFESSIONS = [
    ("100001", "عامل", "Worker", True),
    ("100002", "عامل عادي", "Ordinary worker", True),
    ("100003", "فني", "Technician", True),
    ("100004", "أخصائي", "Specialist", True),
    ("100005", "مهندس", "Engineer", True),
    ("100006", "طبيب", "Doctor", True),
    ("100007", "خبير", "Expert", True),
    ("100008", "فني مراقبة", "Monitoring technician", True),
    ("214201", "مهندس مدني", "Civil engineer", False),
    ("215101", "مهندس كهربائي", "Electrical engineer", False),
    ("241101", "محاسب", "Accountant", False),
    ("221101", "طبيب عام", "General practitioner", False),
    ("222101", "ممرض", "Nurse", False),
    ("251101", "أخصائي تقنية معلومات", "IT specialist", False),
    ("332201", "مندوب مبيعات", "Sales representative", False),
    ("334301", "مساعد إداري", "Administrative assistant", False),
    ("512001", "طباخ", "Cook", False),
    ("514101", "حلاق", "Barber", False),
    ("541401", "حارس أمن", "Security guard", False),
    ("711501", "نجار", "Carpenter", False),
    ("712601", "سباك", "Plumber", False),
    ("713101", "دهان", "Painter", False),
    ("721201", "لحام", "Welder", False),
    ("723101", "ميكانيكي سيارات", "Car mechanic", False),
    ("741101", "كهربائي", "Electrician", False),
    ("753101", "خياط", "Tailor", False),
    ("832201", "سائق", "Driver", False),
    ("832202", "سائق خاص", "Private driver", False),
    ("911101", "عاملة منزلية", "Housemaid", False),
    ("931301", "عامل بناء", "Construction worker", False),
]


def load(apps, schema_editor):
    Nationality = apps.get_model("residents", "Nationality")
    Profession = apps.get_model("residents", "Profession")
    for code, ar, en in NATIONALITIES:
        Nationality.objects.update_or_create(code=code, defaults={"name_ar": ar, "name_en": en})
    for code, ar, en, generic in PROFESSIONS:
        Profession.objects.update_or_create(
            code=code, defaults={"name_ar": ar, "name_en": en, "is_generic": generic}
        )


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
