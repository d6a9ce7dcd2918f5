"""Third-party msgids our catalogue translates in its own words. The app never imports this.

Django looks a msgid up in ``LOCALE_PATHS`` (``locale/ja``) before the catalogues of the
installed apps, so an entry of ours replaces, for example, django-auditlog's "Correlation ID"
(left in English in its ja catalogue) or its "Created" (作成済み there, a date and time here).
``makemessages`` keeps in ``locale/ja/LC_MESSAGES/django.po`` only the msgids it finds in our
own code, and would mark these obsolete and drop them: naming them here with ``gettext_noop``
keeps them there. Each is a string those apps pass to ``gettext`` and that our pages show;
``tests/test_translations.py`` checks that the catalogue translates every one of them, with
the terms of ``locale/glossary.csv``.
"""

from django.utils.translation import gettext_noop

MSGIDS = (
    # django-auditlog: the entry list, its filters and the entry's page (audit/admin/entries.py).
    gettext_noop("Created"),  # the entry's date and time column
    gettext_noop("timestamp"),  # the date filter
    gettext_noop("action"),  # column, filter, CSV header
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("Resource Type"),
    gettext_noop("Correlation ID"),
    gettext_noop("remote address"),
    gettext_noop("object id"),
    # The entry's name (title and breadcrumbs of its page), e.g. "Logged #12".
    gettext_noop("Created {repr:s}"),
    gettext_noop("Updated {repr:s}"),
    gettext_noop("Deleted {repr:s}"),
    gettext_noop("Logged {repr:s}"),
    # The table of changes on the entry's page.
    gettext_noop("Field"),
    gettext_noop("From"),
    gettext_noop("To"),
    gettext_noop("Relationship"),
    gettext_noop("Action"),
    gettext_noop("Objects"),
    # django.contrib.auth: the user model's plural (its singular "user" is ours already).
    gettext_noop("users"),
    # django-axes and django-q2: their model names on the administrator's index and in the
    # audit log's filter (they have no Japanese catalogue).
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
    gettext_noop("Successful task"),
    gettext_noop("Successful tasks"),
    gettext_noop("Failed task"),
    gettext_noop("Failed tasks"),
    gettext_noop("Scheduled task"),
    gettext_noop("Scheduled tasks"),
    gettext_noop("Queued task"),
    gettext_noop("Queued tasks"),
    # django-guardian: the grant pages of department rights on a form type
    # (forms_catalog/admin.py, templates/admin/forms_catalog/formtype/).
    gettext_noop("Object permissions"),
    gettext_noop("Manage group"),
    gettext_noop("Permissions saved."),
    gettext_noop("Permissions"),
)
