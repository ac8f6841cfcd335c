from django.apps import apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def create_role_groups(sender, app_config=None, **kwargs):
    """Sync the role groups once per migrate, after the last app has created its permissions."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is None or app_config.label != with_models[-1].label:
        return
    from .roles import sync_roles

    sync_roles()
