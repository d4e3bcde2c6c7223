"""App config of the compliance app: connects the audit receiver and the search index, and
bounds image decoding."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from compliance.audit import write_audit_entry
        from portal.audit import audit_recorded

        audit_recorded.connect(write_audit_entry, dispatch_uid="compliance.audit")
        # The blind index follows every save of a value (P51: searchable without decrypting).
        from django.db.models.signals import post_save

        from compliance import blind_index

        for label in blind_index.OWNERS:
            post_save.connect(
                blind_index.on_save, sender=label, dispatch_uid=f"compliance.index.{label}"
            )
        # Order titles and lists name the end user; orders does not import compliance.
        from compliance.end_users import names_for_orders
        from orders import end_users

        end_users.register(names_for_orders)
        # Pillow refuses anything above twice this as a decompression bomb (P28); intake also
        # checks the exact limit from the header before decoding.
        Image.MAX_IMAGE_PIXELS = settings.DOCUMENT_MAX_PIXELS
