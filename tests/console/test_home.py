"""The console home: counts and the server-drawn chart of the last 30 days."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import EventType, SubEventType
from console.charts import daily_chart
from console.selectors import DayCount, daily_sign_ins, home_figures
from tests.factories import AuthEventFactory, UserFactory

pytestmark = pytest.mark.django_db


def backdate(event, days: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_authevent SET created_at = %s WHERE id = %s",
                       [timezone.now() - timedelta(days=days), event.pk])


def test_the_counts_cover_users_recent_provisioning_and_refusals(admin_user):
    now = timezone.now()
    UserFactory(auto_provisioned=True, date_joined=now - timedelta(days=2))
    UserFactory(auto_provisioned=True, date_joined=now - timedelta(days=20))
    UserFactory(auto_provisioned=True, date_joined=now - timedelta(days=40))
    UserFactory(is_active=False)
    AuthEventFactory(event_type=EventType.FAILED_LOGIN, sub_event=SubEventType.USER_NOT_FOUND)
    old = AuthEventFactory(event_type=EventType.FAILED_LOGIN,
                           sub_event=SubEventType.USER_NOT_ENABLED)
    backdate(old, 2)
    AuthEventFactory()

    figures = home_figures()

    assert (figures.users, figures.active_users) == (5, 4)
    assert (figures.provisioned_7_days, figures.provisioned_30_days) == (1, 2)
    assert figures.refused_24_hours == 1


def test_daily_sign_ins_count_each_day_and_fill_empty_days_with_zero(db):
    now = timezone.now()
    AuthEventFactory()
    AuthEventFactory(sub_event=SubEventType.AUTO_PROVISIONED)
    UserFactory(auto_provisioned=True, date_joined=now)
    backdate(AuthEventFactory(), 3)
    UserFactory(auto_provisioned=True, date_joined=now - timedelta(days=3))
    UserFactory(auto_provisioned=False, date_joined=now - timedelta(days=3))  # made by hand
    backdate(AuthEventFactory(), 45)  # outside the window
    UserFactory(auto_provisioned=True, date_joined=now - timedelta(days=45))
    AuthEventFactory(event_type=EventType.FAILED_LOGIN, sub_event=SubEventType.USER_NOT_FOUND)

    days = daily_sign_ins(days=30)

    assert len(days) == 30
    assert days[-1].day == timezone.localdate()
    assert (days[-1].sign_ins, days[-1].provisioned) == (2, 1)
    assert (days[-4].sign_ins, days[-4].provisioned) == (1, 1)
    assert sum(d.sign_ins for d in days) == 3
    assert sum(d.provisioned for d in days) == 2


def test_the_chart_scales_to_a_round_top_and_draws_a_bar_only_where_accounts_were_made():
    start = date(2026, 3, 1)
    days = [DayCount(day=start + timedelta(days=i), sign_ins=i * 3, provisioned=i % 2)
            for i in range(30)]

    chart = daily_chart(days)

    assert chart.y_ticks[-1].label == "100"  # 87 sign-ins at most -> axis to 100
    assert len(chart.points) == 30
    assert len(chart.bars) == 15
    assert chart.total_sign_ins == sum(i * 3 for i in range(30))
    assert [t.label for t in chart.x_ticks] == ["01 Mar", "08 Mar", "15 Mar", "22 Mar", "29 Mar"]
    # Higher counts sit higher on the canvas (smaller y).
    assert chart.points[29][1] < chart.points[1][1]


def test_an_empty_month_draws_a_flat_line_without_dividing_by_zero():
    days = [DayCount(day=date(2026, 3, 1) + timedelta(days=i), sign_ins=0, provisioned=0)
            for i in range(30)]
    chart = daily_chart(days)
    assert {y for _, y, _ in chart.points} == {chart.y_ticks[0].position}
    assert chart.bars == ()


def test_the_home_page_shows_the_figures_and_an_inline_svg_chart(staff_client):
    AuthEventFactory(sub_event=SubEventType.AUTO_PROVISIONED)

    response = staff_client.get(reverse("console:home"))

    assert response.status_code == 200
    assert '<svg class="chart"' in response.text
    assert "<polyline" in response.text
    assert "auto-provisioned, last 7 days" in response.text
    assert "<script" not in response.text


def test_the_refused_count_links_to_the_refused_sign_ins_since_yesterday(staff_client):
    response = staff_client.get(reverse("console:home"))

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert response.context["refused_url"] == (
        f"{reverse('console:authevent_list')}?event_type=failed_login&since={yesterday}"
    )
