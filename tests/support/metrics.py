"""Reading GET /metrics the way Prometheus does."""

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a metrics page, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(page: Mapping[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there is none yet)."""
    wanted = set(labels.items())
    return sum(number for (sample, sample_labels), number in page.items() if sample == name and wanted <= sample_labels)
