"""Where files with personal data are kept: PRIVATE_FILES_ROOT, never MEDIA_ROOT, never a URL."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files with personal data: under PRIVATE_FILES_ROOT, never MEDIA_ROOT, never served by URL.

    The folder is read from settings on each use, as Django's media storage does.
    """

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateFileStorage()
