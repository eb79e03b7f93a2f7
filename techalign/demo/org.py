"""The demo organisation as tables: departments and teams, people and their roles, the service
catalog, and the personas the browser tests play. Admin data, written directly by `build_org`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password

from techalign.org.models import Component, Department, Membership, Role, Team, User

DEMO_PASSWORD = "techalign-demo"
SUPERUSER = "admin"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Who plays which part in the main requirement's story (and in the browser tests).
PERSONAS = {
    "lead_pm": "wangming",
    "lead_dev": "lilei",
    "tech_lead": "chenqiang",
    "payments_pm": "liuhua",
    "payments_dev": "huangjun",
    "finance_pm": "lina",
    "finance_dev": "wangwei",
    "architect": "gaofeng",
    "outsider": "zhuyan",
    "admin": "zhouyun",
}

# (department code, name, [(team code, team name, is a committee)]). The department codes are
# also the marker that the demo is loaded.
DEPARTMENTS = (
    ("trade", "交易中台部", (("order", "订单组", False), ("cart", "购物车组", False))),
    ("fin", "支付金融部", (("payments", "支付组", False), ("finance", "财务结算组", False))),
    ("growth", "用户增长部", (("membership", "会员组", False), ("marketing", "营销组", False))),
    ("techcenter", "技术中心", (("committee", "技术委员会", True),)),
)
DEMO_DEPARTMENTS = tuple(code for code, _name, _teams in DEPARTMENTS)


class Person(NamedTuple):
    username: str
    display_name: str
    team: str
    roles: tuple[str, ...]


# Within a team, the first PM and DEV by username are who the meeting invites by default; the
# personas are named so that they come first in their teams.
PEOPLE = (
    Person("wangming", "王明", "order", (Role.PM,)),
    Person("lilei", "李磊", "order", (Role.DEV,)),
    Person("zhangfang", "张芳", "order", (Role.DEV,)),
    Person("chenqiang", "陈强", "order", (Role.TECH_LEAD,)),
    Person("zhaoxue", "赵雪", "cart", (Role.PM,)),
    Person("sunhao", "孙浩", "cart", (Role.DEV,)),
    Person("zhoujie", "周杰", "cart", (Role.TECH_LEAD,)),
    Person("liuhua", "刘华", "payments", (Role.PM,)),
    Person("huangjun", "黄俊", "payments", (Role.DEV,)),
    Person("xuming", "徐明", "payments", (Role.DEV,)),
    Person("guoyong", "郭勇", "payments", (Role.TECH_LEAD,)),
    Person("lina", "李娜", "finance", (Role.PM,)),
    Person("wangwei", "王伟", "finance", (Role.DEV,)),
    Person("heping", "何平", "finance", (Role.TECH_LEAD,)),
    Person("yangli", "杨丽", "membership", (Role.PM,)),
    Person("maqiang", "马强", "membership", (Role.DEV,)),
    Person("hejing", "贺静", "membership", (Role.DEV,)),
    Person("luoyi", "罗毅", "membership", (Role.TECH_LEAD,)),
    Person("zhaomin", "赵敏", "marketing", (Role.PM,)),
    Person("zhuyan", "朱燕", "marketing", (Role.PM,)),
    Person("linfeng", "林峰", "marketing", (Role.DEV,)),
    Person("songjia", "宋佳", "marketing", (Role.TECH_LEAD,)),
    Person("gaofeng", "高峰", "committee", (Role.ARCHITECT,)),
    Person("tangning", "唐宁", "committee", (Role.ARCHITECT,)),
    Person("zhouyun", "周云", "committee", (Role.ADMIN,)),
)
SUPERUSER_DISPLAY_NAME = "系统管理员"

K = Component.Kind
# (key, name, kind, owning team, system key, description); systems come before their parts.
# fmt: off
COMPONENTS = (
    ("trade-system", "交易系统", K.SYSTEM, "order", None,
     "下单、购物车、结算到订单履约的整条交易链路。"),
    ("order-service", "订单服务", K.SERVICE, "order", "trade-system",
     "订单的创建、状态流转、取消与售后，对外发布订单事件。"),
    ("order-db", "订单库", K.DATABASE, "order", "trade-system",
     "订单主表与订单商品明细，按买家分库分表。"),
    ("cart-service", "购物车服务", K.SERVICE, "cart", "trade-system",
     "购物车增删改查、凑单进度与价格试算。"),
    ("checkout-web", "结算页", K.FRONTEND, "cart", "trade-system",
     "App 与 H5 的结算页和收银台：选券、选支付方式、提交订单。"),
    ("payment-system", "支付系统", K.SYSTEM, "payments", None,
     "对接各支付渠道，负责收款、退款与资金流水。"),
    ("pay-gateway", "支付网关", K.SERVICE, "payments", "payment-system",
     "统一的支付下单、查询、关单与渠道回调入口。"),
    ("refund-api", "退款接口", K.API, "payments", "payment-system",
     "按原支付渠道发起退款、查询退款结果、接收渠道退款回调。"),
    ("settlement-system", "财务结算系统", K.SYSTEM, "finance", None,
     "记账、清算与对账，月末出具财务报表的数据来源。"),
    ("ledger", "总账", K.SERVICE, "finance", "settlement-system",
     "复式记账的总账服务：收款、退款、营销成本等分录。"),
    ("reconcile-job", "对账任务", K.JOB, "finance", "settlement-system",
     "日终任务：用渠道流水逐笔核对总账，产出差异单。"),
    ("points-service", "会员积分", K.SERVICE, "membership", None,
     "积分的发放、扣减、过期与流水查询。"),
    ("coupon-service", "优惠券", K.SERVICE, "marketing", None,
     "优惠券模板、发券、核销、退券与优惠试算。"),
    ("campaign-web", "营销活动页", K.FRONTEND, "marketing", None,
     "大促与拉新活动的落地页和领券入口。"),
)
# fmt: on


@dataclass
class Org:
    today: dt.date
    users: dict[str, User]
    teams: dict[str, Team]
    components: dict[str, Component]

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)


def build_org(today: dt.date) -> Org:
    teams: dict[str, Team] = {}
    for code, name, team_rows in DEPARTMENTS:
        department = Department.objects.create(code=code, name=name)
        for team_code, team_name, is_committee in team_rows:
            teams[team_code] = Team.objects.create(
                code=team_code, name=team_name, department=department, is_committee=is_committee
            )
    # The password is public and the same for everyone; hashing it once instead of per user
    # keeps the load within a few seconds.
    password = make_password(DEMO_PASSWORD)
    users = {
        p.username: User.objects.create(
            username=p.username,
            display_name=p.display_name,
            password=password,
            email=f"{p.username}@example.com",
            language="zh-hans",
            time_zone="Asia/Shanghai",
        )
        for p in PEOPLE
    }
    Membership.objects.bulk_create(
        Membership(user=users[p.username], team=teams[p.team], role=role)
        for p in PEOPLE
        for role in p.roles
    )
    # An operator may have created an `admin` already; that account and its password stay.
    if not User.objects.filter(username=SUPERUSER).exists():
        User.objects.create(
            username=SUPERUSER,
            display_name=SUPERUSER_DISPLAY_NAME,
            password=password,
            email=f"{SUPERUSER}@example.com",
            is_staff=True,
            is_superuser=True,
            language="zh-hans",
            time_zone="Asia/Shanghai",
        )
    components: dict[str, Component] = {}
    for key, name, kind, owner, system, description in COMPONENTS:
        components[key] = Component.objects.create(
            key=key,
            name=name,
            kind=kind,
            owner_team=teams[owner],
            system=components[system] if system else None,
            description=description,
        )
    return Org(today=today, users=users, teams=teams, components=components)
