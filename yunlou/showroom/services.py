from django.db import IntegrityError, transaction

from yunlou.accounts.models import User
from yunlou.catalogue.models import Project
from yunlou.showroom.models import ShareCode


def share_code_for(*, owner: User, project: Project) -> ShareCode:
    """The owner's personal code for the project, created on first use."""
    existing = ShareCode.objects.filter(owner=owner, project=project).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ShareCode.objects.create(owner=owner, project=project)
    except IntegrityError:  # created by a parallel request a moment ago
        return ShareCode.objects.get(owner=owner, project=project)
