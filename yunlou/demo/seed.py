"""The demo data: one developer, two projects, staff for every role, media drawn by code.

Idempotent: records are found by their natural keys and created only when missing, media files are
drawn only when absent, and unit statuses are set only when a building's units are first created.
"""

import datetime
import io
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import segno
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from yunlou.accounts.models import Membership, Organization, Role, User
from yunlou.catalogue.models import (
    Building,
    Decoration,
    FloorPlan,
    NewsCategory,
    PanoramaHotspot,
    PanoramaScene,
    PhotoCategory,
    PresalePermit,
    PriceListVersion,
    Project,
    ProjectNews,
    ProjectPhoto,
    ProjectStatus,
    ProjectVideo,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.services import building_generate_units, project_refresh_price_range
from yunlou.core.admin_scope import organization_admin_group_sync
from yunlou.core.images import renditions_make
from yunlou.demo import media

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    phone: str


STAFF = [
    DemoLogin("admin", "系统管理员", Role.ADMIN, "13900000001"),
    DemoLogin("manager", "刘建国", Role.MANAGER, "13900000002"),
    DemoLogin("wang", "王磊", Role.CONSULTANT, "13900000003"),
    DemoLogin("chen", "陈晓雯", Role.CONSULTANT, "13900000004"),
    DemoLogin("reception", "周敏", Role.RECEPTIONIST, "13900000005"),
    DemoLogin("channel", "孙浩", Role.CHANNEL, "13900000006"),
    DemoLogin("finance", "郑丽", Role.FINANCE, "13900000007"),
]
# The platform operator: the only Django superuser, outside every organisation (the admin above is ordinary
# staff whose /admin/ shows only their own organisation).
PLATFORM = DemoLogin("platform", "平台运营", "platform", "")
ORIENTATION_LABELS = {"S": "朝南", "NS": "南北通透", "SE": "东南朝向"}
TITLES = {Role.CONSULTANT: "金牌置业顾问", Role.MANAGER: "案场经理", Role.RECEPTIONIST: "前台接待"}

# (key used in the buildings' position strings, name, rooms, halls, bathrooms, gross m², net m², orientation)
YUNQI_PLANS = [
    ("A", "A户型", 2, 2, 1, "76.00", "60.20", "S"),
    ("B", "B户型", 3, 2, 2, "89.00", "70.50", "NS"),
    ("C", "C户型", 3, 2, 2, "105.00", "83.60", "NS"),
    ("D", "D户型", 4, 2, 2, "128.00", "102.30", "NS"),
    ("E", "E户型", 4, 2, 3, "143.00", "114.80", "SE"),
]
# (number, floors, plans by position, base price per m² in yuan, floor premium per m² in yuan)
YUNQI_BUILDINGS = [
    ("1", 18, "ABBA", 30_500, 120),
    ("3", 26, "CBBC", 31_200, 110),
    ("5", 25, "ABCCBA", 31_800, 100),
    ("6", 25, "CDEEDC", 32_000, 100),
    ("8", 40, "ABCDDCBA", 32_600, 90),
]
BINJIANG_PLANS = [
    ("T", "叠拼T1", 4, 2, 3, "168.00", "136.00", "S"),
    ("Y", "洋房Y1", 3, 2, 2, "118.00", "95.00", "NS"),
]
# Positions per entrance; (number, floors, plans by position, price, premium, entrances): the 洋房 have two 单元.
BINJIANG_BUILDINGS = [("11", 8, "YY", 41_000, 300, 2), ("12", 8, "YY", 41_500, 300, 2), ("15", 4, "TT", 46_000, 500)]
# Where each building stands on the site plan: x, y, width, height as fractions of the image.
SITE_POSITIONS = {
    "云栖府": {"1": (0.22, 0.24, 0.10, 0.10), "3": (0.45, 0.21, 0.10, 0.10), "5": (0.68, 0.24, 0.10, 0.10),
              "6": (0.28, 0.60, 0.11, 0.10), "8": (0.56, 0.58, 0.13, 0.12)},
    "滨江悦府": {"11": (0.25, 0.30, 0.14, 0.10), "12": (0.55, 0.30, 0.14, 0.10), "15": (0.40, 0.62, 0.16, 0.10)},
}
# What buyers compare projects by (贝壳/安居客 list these on every project page).
FACTS = {
    "云栖府": {
        "developer": "杭州云栖置业有限公司", "property_company": "绿城物业服务集团有限公司",
        "property_fee": Decimal("3.80"), "plot_ratio": Decimal("2.80"), "green_ratio": Decimal("35.0"),
        "parking_ratio": "1:1.2", "property_right_years": 70, "decoration": Decoration.FURNISHED,
        "opening_date": datetime.date(2025, 9, 28), "delivery_date": datetime.date(2027, 6, 30),
        "minimum_down_payment_percent": 15,
    },
    "滨江悦府": {
        "developer": "杭州滨江悦府房地产开发有限公司", "property_company": "滨江物业管理有限公司",
        "property_fee": Decimal("4.50"), "plot_ratio": Decimal("1.60"), "green_ratio": Decimal("40.0"),
        "parking_ratio": "1:1.5", "property_right_years": 70, "decoration": Decoration.FURNISHED,
        "delivery_date": datetime.date(2028, 12, 31), "minimum_down_payment_percent": 15,
    },
}
# (permit number, issued days ago, buildings) — 5 and 6 were permitted a week ago, for the coming launch;
# 滨江悦府 has none yet (待取证).
PERMITS = {
    "云栖府": [("杭售许字(2025)第000187号", 430, ["1", "3"]), ("杭售许字(2026)第000052号", 240, ["8"]),
              ("杭售许字(2026)第000361号", 7, ["5", "6"])],
}
PERMIT_AUTHORITY = "杭州市住房保障和房产管理局"
# (category, days ago, title, body)
NEWS = {
    "云栖府": [
        (NewsCategory.PERMIT, 7, "5号楼、6号楼取得预售许可证",
         "5号楼、6号楼共300套房源取得预售许可证（杭售许字(2026)第000361号），一房一价已公示，即将线上开盘。"),
        (NewsCategory.LAUNCH, 5, "5、6号楼线上开盘安排",
         "认筹客户可在线上选房，分三批进行；摇号种子已提前公布，开盘当天由公证员现场输入公开数值。"),
        (NewsCategory.CONSTRUCTION, 40, "3号楼主体结构封顶",
         "3号楼主体结构顺利封顶，工程进度符合计划，预计2027年6月交付。"),
        (NewsCategory.PROMOTION, 60, "样板间开放", "B户型89㎡、C户型105㎡精装样板间开放，欢迎预约看房。"),
    ],
    "滨江悦府": [
        (NewsCategory.OTHER, 20, "示范区开放", "滨江悦府示范区及洋房样板间开放，预计明年春季取得预售许可证后开盘。"),
    ],
}
HIGHLIGHTS = {
    "云栖府": ["地铁5号线良睦路站步行约600米", "约8000㎡中央园林", "精装交付，南北通透", "配建幼儿园与社区商业"],
    "滨江悦府": ["容积率1.6低密社区", "南向临江，一线江景", "叠拼带花园与地下室"],
}


def seed_demo(*, with_media: bool = True) -> list[DemoLogin]:
    with transaction.atomic():
        organization, _ = Organization.objects.get_or_create(
            name="云栖置业集团有限公司", defaults={"short_name": "云栖置业"}
        )
        yunqi = _project(
            organization, name="云栖府", district="杭州·余杭区", address="杭州市余杭区文一西路与良睦路交叉口",
            latitude=Decimal("30.289200"), longitude=Decimal("120.006500"), sales_phone="0571-8888 6666",
            status=ProjectStatus.ON_SALE, tags=["现房在售", "地铁沿线", "精装交付", "南北通透"],
            description=(
                "云栖府位于未来科技城核心区，地铁5号线良睦路站步行约600米。社区由5栋高层组成，"
                "主力户型76–143㎡，南北通透，精装交付；小区中央约8000㎡园林，配建幼儿园与社区商业。"
            ),
        )
        binjiang = _project(
            organization, name="滨江悦府", district="杭州·滨江区", address="杭州市滨江区江南大道与伟业路交叉口",
            latitude=Decimal("30.208900"), longitude=Decimal("120.211600"), sales_phone="0571-8666 5555",
            status=ProjectStatus.UPCOMING, tags=["低密洋房", "一线江景", "即将开盘"],
            # Before the launch no unit is on sale, so the advertised range is the developer's estimate.
            price_min=480_000_000, price_max=800_000_000, average_unit_price=4_100_000,
            description="滨江悦府为低密度洋房与叠拼社区，容积率1.6，南向临江，预计明年春季开盘。",
        )
        _catalogue(yunqi, YUNQI_PLANS, YUNQI_BUILDINGS, status_picker=_yunqi_status)
        _catalogue(binjiang, BINJIANG_PLANS, BINJIANG_BUILDINGS, status_picker=lambda *args: UnitStatus.NOT_FOR_SALE)
        for project in (yunqi, binjiang):
            _permits_and_news(project)
            project_refresh_price_range(project=project)
        logins = _staff(organization, projects=[yunqi, binjiang])
        logins += _launch(yunqi)
        logins += _referral_network(organization, projects=[yunqi, binjiang])
    if with_media:
        # Media files are written outside the transaction: they are files, and drawing them takes seconds.
        _media(yunqi, seed=1)
        _media(binjiang, seed=2)
        _staff_media()
    return logins


def _project(organization: Organization, *, name: str, **fields) -> Project:
    project, created = Project.objects.get_or_create(
        organization=organization, name=name,
        defaults={**fields, **FACTS.get(name, {}), "is_published": True, "highlights": HIGHLIGHTS.get(name, [])},
    )
    if not created and not project.developer and name in FACTS:  # a demo database from before the facts
        Project.objects.filter(pk=project.pk).update(**FACTS[name])
        project.refresh_from_db()
    return project


def _permits_and_news(project: Project) -> None:
    now = timezone.now()
    for number, days_ago, buildings in PERMITS.get(project.name, []):
        filed = (PriceListVersion.objects.filter(project=project, changes__unit__building__number__in=buildings)
                 .order_by("-number").first())
        permit, _created = PresalePermit.objects.get_or_create(
            project=project, number=number,
            defaults={"issued_on": timezone.localdate(now - timedelta(days=days_ago)),
                      "authority": PERMIT_AUTHORITY, "price_list_version": filed},
        )
        project.buildings.filter(number__in=buildings, presale_permit__isnull=True).update(presale_permit=permit)
    if not project.news.exists():
        ProjectNews.objects.bulk_create([
            ProjectNews(project=project, category=category, title=title, body=body,
                        published_at=now - timedelta(days=days_ago))
            for category, days_ago, title, body in NEWS.get(project.name, [])
        ])


def _catalogue(project: Project, plans, buildings, *, status_picker) -> None:
    plan_by_letter: dict[str, FloorPlan] = {}
    for order, (key, name, rooms, halls, bathrooms, gross, net, orientation) in enumerate(plans):
        plan_by_letter[key], _ = FloorPlan.objects.get_or_create(
            project=project, name=name,
            defaults={"rooms": rooms, "halls": halls, "bathrooms": bathrooms, "gross_area": Decimal(gross),
                      "net_area": Decimal(net), "orientation": orientation, "sort_order": order},
        )
    for order, (number, floors, letters, base_price, premium, *more) in enumerate(buildings):
        entrances = more[0] if more else 1
        x, y, width, height = SITE_POSITIONS[project.name][number]
        building, _ = Building.objects.get_or_create(
            project=project, number=number,
            defaults={"name": f"{number}号楼", "floors": floors, "units_per_floor": len(letters), "sort_order": order,
                      "entrances": entrances, "site_x": x, "site_y": y, "site_width": width, "site_height": height},
        )
        if building.units.exists():
            continue
        plans_by_position = {i + 1: plan_by_letter[letter] for i, letter in enumerate(letters)}
        units = building_generate_units(
            staff=None, building=building, floor_plans_by_position=plans_by_position,
            entrances={entrance: plans_by_position for entrance in range(1, entrances + 1)},
            price_per_sqm=base_price * 100, floor_premium_per_sqm=premium * 100,
        )
        rng = random.Random(f"{project.name}-{number}")
        now = timezone.now()
        for unit in units:
            unit.status = status_picker(building, unit, rng)
            unit.status_changed_at = now
        Unit.objects.bulk_update(units, ["status", "status_changed_at"], batch_size=500)
    project_refresh_price_range(project=project)


def _yunqi_status(building: Building, unit: Unit, rng: random.Random) -> str:
    """A sales history that reads true: building 1 nearly sold out, 3 and 8 selling, 5 and 6 awaiting launch."""
    if building.number in {"5", "6"}:
        return UnitStatus.NOT_FOR_SALE
    if building.number == "3" and unit.code == "3-1502":
        return UnitStatus.AVAILABLE  # the unit of the buyer's journey in JOURNEYS.md
    if unit.floor == building.floors:
        return UnitStatus.NOT_FOR_SALE  # top floors kept back by the developer (预留)
    sold_share = {"1": 0.9, "3": 0.55, "8": 0.35}[building.number]
    # Lower floors sold first, as they usually do in a tower priced up by floor.
    sold_share *= 1.25 - 0.5 * (unit.floor / building.floors)
    draw = rng.random()
    if draw < sold_share * 0.7:
        return UnitStatus.SIGNED
    if draw < sold_share:
        return UnitStatus.SUBSCRIBED
    if draw < sold_share + 0.03:
        return UnitStatus.HELD
    return UnitStatus.AVAILABLE


DEMO_BUYERS = [("张伟", "13700000001"), ("李娜", "13700000002"), ("王芳", "13700000003")]


def _launch(project: Project) -> list[DemoLogin]:
    """云栖府's online launch (开盘): open for a week from now, 20 available units of the tower with the most,
    two reserved; three pledged buyers who log in on /launches/<id>/ with their phone and the SMS code (shown on
    the page in the demo). The list is frozen and drawn, so the public lottery page has something to verify."""
    import datetime
    import secrets

    from yunlou.launch import lottery
    from yunlou.launch.models import Launch, LaunchEntry, LaunchUnit, Pledge, PledgeSource, PledgeStatus

    if Launch.objects.filter(project=project).exists():
        return [DemoLogin(phone, name, "buyer", phone) for name, phone in DEMO_BUYERS]
    units = list(Unit.objects.filter(building__project=project, building__presale_permit__isnull=False,
                                     status=UnitStatus.AVAILABLE).order_by("building__sort_order", "-floor",
                                                                           "position")[:22])
    now = timezone.now()
    launch = Launch.objects.create(project=project, name="云栖府 线上开盘", starts_at=now,
                                   ends_at=now + datetime.timedelta(days=7), deposit=2_000_000)
    LaunchUnit.objects.bulk_create([
        LaunchUnit(launch=launch, unit=unit, token=secrets.token_urlsafe(16),
                   rehearsal_token=secrets.token_urlsafe(16), is_reserved=index >= 20)
        for index, unit in enumerate(units)])
    rng = random.Random("launch")
    for number, (name, phone) in enumerate(DEMO_BUYERS, start=1):
        serial = f"11010519900101{number:03d}"
        Pledge.objects.create(project=project, number=f"RC{number:05d}", name=name, phone=phone,
                              id_number=serial + _id_check(serial), amount=5_000_000, status=PledgeStatus.ACTIVE,
                              source=PledgeSource.IMPORTED)
    pledges = list(Pledge.objects.filter(project=project).order_by("number"))
    seed = lottery.seed_new()
    result = lottery.draw([pledge.number for pledge in pledges], seed, f"公证处 {rng.randint(1000, 9999)}")
    places = {number: place for place, number in result.places}
    LaunchEntry.objects.bulk_create([LaunchEntry(launch=launch, pledge=pledge, place=places[pledge.number])
                                     for pledge in pledges])
    Launch.objects.filter(pk=launch.pk).update(
        list_frozen_at=now, list_digest=result.list_digest, seed_commitment=result.seed_commitment,
        public_value=result.public_value, drawn_at=now)
    launch.seed = seed
    launch.save(update_fields=["seed"])
    return [DemoLogin(phone, name, "buyer", phone) for name, phone in DEMO_BUYERS]


DEMO_BROKER = DemoLogin("13700000009", "赵师傅", "broker", "13700000009")


def _referral_network(organization: Organization, *, projects: list[Project]) -> list[DemoLogin]:
    """全民经纪: both projects take reports (前三后四, 0.5 % direct, 10 % of it to the upline, 30 min lead, 7-day visit
    window, 30-day protection); 赵师傅, invited by consultant 王磊, has an invite link, one report awaiting its visit
    and one visited. He logs in at /b/ with his phone and the SMS code (shown on the page in the demo)."""
    from yunlou.brokers.models import Broker, BrokerStatus, ReferralRules
    from yunlou.brokers.services.brokers import invite_for
    from yunlou.brokers.services.referrals import referral_create
    from yunlou.brokers.services.visits import check_in_token, referral_check_in

    now = timezone.now()
    for project in projects:
        if not ReferralRules.objects.filter(project=project).exists():
            ReferralRules.objects.create(
                project=project, version=1, number_mode="m34", lead_minutes=30, visit_window="days",
                visit_window_value=7, protection_days=30, direct_mode="percent", direct_basis_points=50,
                upline_mode="percent", upline_basis_points=1000, created_at=now - timedelta(days=1))
    user = User.objects.filter(phone_hash=_phone_hash(DEMO_BROKER.phone)).first()
    if user is None:
        user = User(username="broker-zhao", phone=DEMO_BROKER.phone, display_name=DEMO_BROKER.name)
        user.set_unusable_password()
        user.save()
    broker = Broker.objects.filter(organization=organization, user=user).first()
    if broker is None:
        broker = Broker.objects.create(organization=organization, user=user, real_name=DEMO_BROKER.name,
                                       status=BrokerStatus.ACTIVE, upline=User.objects.get(username="wang"),
                                       status_changed_at=now)
        yunqi = projects[0]
        referral_create(user=user, project_id=yunqi.pk, customer_name="刘先生", phone="138****6621",
                        now=now - timedelta(hours=2))
        referral_check_in(project_id=yunqi.pk, phone="13812346621", token=check_in_token(project_id=yunqi.pk),
                          now=now - timedelta(hours=1))
        referral_create(user=user, project_id=yunqi.pk, customer_name="陈女士", phone="139****5202",
                        intended_visit_at=now + timedelta(days=1), now=now - timedelta(minutes=5))
    invite_for(user=user, organization=organization)
    return [DEMO_BROKER]


def _phone_hash(phone: str) -> str:
    from yunlou.core.crypto import blind_index

    return blind_index(phone)


def _id_check(first_17: str) -> str:
    from yunlou.core.id_numbers import check_character

    return check_character(first_17)


def _staff(organization: Organization, *, projects: list[Project]) -> list[DemoLogin]:
    organization_admins = organization_admin_group_sync()
    for login in STAFF:
        user = User.objects.filter(username=login.username).first() or User(username=login.username)
        user.display_name = login.name
        user.phone = login.phone
        user.title = TITLES.get(login.role, "")
        # The organisation admin uses the organisation-scoped /admin/: staff with the group's permissions.
        user.is_staff, user.is_superuser = login.role == Role.ADMIN, False
        user.set_password(DEMO_PASSWORD)
        user.save()
        if login.role == Role.ADMIN:
            user.groups.add(organization_admins)
        membership, _ = Membership.objects.get_or_create(
            user=user, is_active=True, defaults={"organization": organization, "role": login.role}
        )
        if login.role != Role.ADMIN:
            membership.projects.set(projects)
    operator = User.objects.filter(username=PLATFORM.username).first() or User(username=PLATFORM.username)
    operator.display_name = PLATFORM.name
    operator.is_staff = operator.is_superuser = True
    operator.set_password(DEMO_PASSWORD)
    operator.save()
    return [*STAFF, PLATFORM]


def _staff_media() -> None:
    """Photos for every staff member; WeChat QR codes for the consultants, whose cards buyers see."""
    for index, login in enumerate(STAFF):
        user = User.objects.get(username=login.username)
        fields = []
        if not user.avatar:
            _save_file(user.avatar, f"avatar-{login.username}.jpg", media.person_portrait(name=login.name, seed=index))
            fields.append("avatar")
        if login.role == Role.CONSULTANT and not user.wechat_qr:
            # A real consultant uploads the QR code WeChat gives them; the demo draws one to a placeholder.
            buffer = io.BytesIO()
            segno.make(f"https://u.wechat.com/yunlou-demo-{login.username}", error="m").save(
                buffer, kind="png", scale=8, border=2)
            _save_file(user.wechat_qr, f"wechat-{login.username}.png", buffer.getvalue())
            fields.append("wechat_qr")
        if fields:
            user.save(update_fields=fields)
        _renditions([user.avatar])


def _save_file(field, name: str, content: bytes) -> None:
    field.save(name, ContentFile(content), save=False)


def _renditions(files) -> None:
    """Make the responsive renditions pages show (made once: what exists is skipped), here and now rather than
    through the task queue, so the demo is complete even when no worker runs."""
    for file in files:
        if file:
            renditions_make(file)


def _media(project: Project, *, seed: int) -> None:
    if not project.cover:
        _save_file(project.cover, f"cover-{project.pk}.jpg",
                   media.project_photo(title=project.name, kind="exterior", seed=seed))
        project.save(update_fields=["cover"])
    if not project.site_plan:
        buildings = [
            {"name": str(b), "x": b.site_x, "y": b.site_y, "w": b.site_width, "h": b.site_height}
            for b in project.buildings.exclude(site_x__isnull=True)
        ]
        _save_file(project.site_plan, f"site-{project.pk}.png", media.site_plan(buildings=buildings, seed=seed))
        project.save(update_fields=["site_plan"])
    if not project.photos.exists():
        for order, (kind, caption, category) in enumerate([
            ("exterior", f"{project.name} 鸟瞰效果图", PhotoCategory.RENDERING),
            ("garden", "中央园林效果图", PhotoCategory.RENDERING),
            ("lobby", "入户大堂效果图", PhotoCategory.RENDERING),
            ("showflat", "样板间 · 客厅", PhotoCategory.SHOW_FLAT),
        ]):
            photo = ProjectPhoto(project=project, caption=caption, category=category, sort_order=order,
                                 width=1600, height=900)
            _save_file(photo.image, f"photo-{project.pk}-{order}.jpg",
                       media.project_photo(title=caption, kind=kind, seed=seed + order))
            photo.save()
    if not project.videos.exists():
        video = ProjectVideo(project=project, title=f"{project.name} 宣传片", duration_seconds=6)
        _save_file(video.file, f"video-{project.pk}.mp4", media.promo_video(title=project.name, seconds=6))
        _save_file(video.poster, f"video-{project.pk}.jpg", media.video_poster(title=project.name))
        video.save()
    for plan in project.floor_plans.filter(drawing=""):
        _save_file(plan.drawing, f"plan-{plan.pk}.png", media.floor_plan_drawing(
            name=plan.name, rooms=plan.rooms, halls=plan.halls, bathrooms=plan.bathrooms,
            gross_area=plan.gross_area, orientation=ORIENTATION_LABELS.get(plan.orientation, ""), seed=plan.pk))
        plan.save(update_fields=["drawing"])
    if not project.panorama_scenes.exists():
        _panorama_tour(project, seed=seed)
    _renditions([project.cover, project.site_plan, *(photo.image for photo in project.photos.all()),
                 *(video.poster for video in project.videos.all()),
                 *(plan.drawing for plan in project.floor_plans.all())])


def _panorama_tour(project: Project, *, seed: int) -> None:
    plan = project.floor_plans.filter(rooms=3).first()
    living = PanoramaScene(project=project, floor_plan=plan, key="living", title="客厅", is_entry=True, sort_order=0)
    bedroom = PanoramaScene(project=project, floor_plan=plan, key="bedroom", title="主卧", sort_order=1)
    for scene in (living, bedroom):
        _save_file(scene.image, f"pano-{project.pk}-{scene.key}.jpg", media.panorama_scene(kind=scene.key, seed=seed))
        scene.save()
    living_yaw, living_pitch = media.door_direction("living")
    bedroom_yaw, bedroom_pitch = media.door_direction("bedroom")
    PanoramaHotspot.objects.create(scene=living, target_scene=bedroom, yaw=living_yaw, pitch=living_pitch,
                                   text="进入主卧")
    PanoramaHotspot.objects.create(scene=bedroom, target_scene=living, yaw=bedroom_yaw, pitch=bedroom_pitch,
                                   text="返回客厅")
