"""django.contrib.admin, with `admin.site` being FocusQuest's site (moderation/admin_site.py).

A module of its own: INSTALLED_APPS imports it before any model is ready, and the site's
module imports forms that import models."""

from django.contrib.admin.apps import AdminConfig


class ModerationAdminConfig(AdminConfig):
    default_site = "moderation.admin_site.ModerationSite"
