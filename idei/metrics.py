"""/metrics: the Prometheus text format, for loopback, configured networks and a bearer token.

The figures are read from the database at each scrape (the source of truth, shared by every
process), not counted in one process's memory. The platform's own figures are the outbox's;
an app adds its own with `register_collector()` (letters: signatures and confirmation lag).
"""

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from idei.client_address import client_ip
from idei.outbox.models import OutgoingMessage

_collectors: list[Callable[[], Iterable[Metric]]] = []


def register_collector(collect: Callable[[], Iterable[Metric]]) -> None:
    """Add an app's figures to /metrics: `collect()` yields prometheus_client metric families."""
    if collect not in _collectors:
        _collectors.append(collect)


def client_address(request) -> str:
    """The client as idei.client_address reads it; nothing if a proxy we were not told about
    (TRUSTED_PROXY_COUNT = 0) forwarded the request: its loopback address says nothing."""
    if not settings.TRUSTED_PROXY_COUNT and request.META.get("HTTP_X_FORWARDED_FOR", "").strip():
        return ""
    return client_ip(request)


def may_read_metrics(request) -> bool:
    token = settings.METRICS_TOKEN
    authorization = request.headers.get("Authorization", "")
    if token and authorization.startswith("Bearer "):
        return constant_time_compare(authorization.removeprefix("Bearer ").strip(), token)
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    if address.is_loopback:
        return True
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def outbox_figures() -> Iterable[Metric]:
    by_status = GaugeMetricFamily(
        "idei_outbox_messages", "Messages in the outbox, by status.", labels=["status"]
    )
    counts = dict(
        OutgoingMessage.objects.order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    for status in OutgoingMessage.Status.values:
        by_status.add_metric([status], counts.get(status, 0))
    yield by_status

    sent = CounterMetricFamily("idei_outbox_sent", "Messages sent, by kind.", labels=["kind"])
    failed = CounterMetricFamily(
        "idei_outbox_failed", "Messages given up (failed), by kind.", labels=["kind"]
    )
    rows = (
        OutgoingMessage.objects.filter(
            status__in=[OutgoingMessage.Status.SENT, OutgoingMessage.Status.FAILED]
        )
        .order_by()
        .values_list("kind", "status")
        .annotate(count=Count("pk"))
    )
    for kind, status, count in rows:
        (sent if status == OutgoingMessage.Status.SENT else failed).add_metric([kind], count)
    yield sent
    yield failed

    oldest = OutgoingMessage.objects.filter(status=OutgoingMessage.Status.QUEUED).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    yield GaugeMetricFamily(
        "idei_outbox_oldest_queued_age_seconds",
        "Age of the oldest message still queued (0 when none is).",
        value=max(age, 0),
    )


class _DatabaseCollector:
    def collect(self):
        yield from outbox_figures()
        for collect in _collectors:
            yield from collect()


@require_GET
def metrics(request):
    if not may_read_metrics(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
