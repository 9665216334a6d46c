import factory
from factory.django import DjangoModelFactory

from yunlou.accounts.models import Membership, Organization, Role, User
from yunlou.accounts.staff import Staff, staff_for


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试置业{n}有限公司")
    short_name = factory.Sequence(lambda n: f"测试置业{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def saved(user, create, extracted, **kwargs):
        if create:
            user.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MANAGER

    @factory.post_generation
    def projects(membership, create, extracted, **kwargs):
        if create and extracted:
            membership.projects.set(extracted)


def make_staff(*, role: str, organization: Organization, projects=(), **user_fields) -> Staff:
    membership = MembershipFactory(role=role, organization=organization, projects=list(projects),
                                   user=UserFactory(**user_fields))
    return staff_for(membership.user)
