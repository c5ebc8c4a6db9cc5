"""Letters' figures on /metrics (idei/metrics.py): signatures and how long confirming takes."""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .models import Signature

# The confirmation lag is measured over the signatures confirmed this recently.
LAG_WINDOW = timedelta(hours=1)
LAG_SAMPLE = 10_000


def signature_figures():
    totals = Signature.objects.aggregate(
        accepted=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False))
    )
    yield CounterMetricFamily(
        "idei_signatures_accepted", "Signatures accepted by the sign form.", totals["accepted"]
    )
    yield CounterMetricFamily(
        "idei_signatures_confirmed", "Signatures confirmed by e-mail.", totals["confirmed"]
    )
    lags = sorted(
        lag.total_seconds()
        for lag in Signature.objects.filter(confirmed_at__gte=timezone.now() - LAG_WINDOW)
        .annotate(lag=F("confirmed_at") - F("created_at"))
        .values_list("lag", flat=True)[:LAG_SAMPLE]
    )
    lag = GaugeMetricFamily(
        "idei_signature_confirmation_lag_seconds",
        "Time from signing to confirming, over the signatures confirmed in the last hour.",
        labels=["quantile"],
    )
    for quantile in (0.5, 0.9, 0.99):
        value = lags[min(int(quantile * len(lags)), len(lags) - 1)] if lags else 0
        lag.add_metric([str(quantile)], value)
    yield lag
