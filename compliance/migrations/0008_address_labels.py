"""Saved addresses labelled "Sub order 1a2b3c4d" get their street and city as label instead.

Labels and fields are encrypted (P51): both are read and written through the model's fields,
and nothing is printed."""

from django.db import migrations


def address_label(parts):
    # As compliance.forms.address_label at the time of writing (migrations keep their copy).
    shown = ", ".join(str(parts.get(k) or "").strip() for k in ("street_address", "locality"))
    return shown.strip(", ") or str(parts.get("business_name") or "").strip() or "Address"


def relabel(apps, schema_editor):
    SavedAddress = apps.get_model("compliance", "SavedAddress")
    for address in SavedAddress.objects.all().iterator():
        if str(address.label or "").startswith("Sub order "):
            address.label = address_label(address.fields or {})
            address.save(update_fields=["label"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_groups_requirement_groups")]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop)]
