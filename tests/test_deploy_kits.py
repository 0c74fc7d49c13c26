"""The deployment kits (deploy/, Dockerfile, .dockerignore), checked as data and text: no Docker, no cluster.

Every YAML file parses; the compose file, the Kubernetes manifests and the Grafana dashboard hold what a safe
deployment needs (noeviction Redis, non-root read-only containers, probes on /healthz and /readyz, a grace
period longer than the drain); every AUTH_* name they use is a real setting; the dashboard queries only
metrics the service exports; the image is pinned, non-root, and free of build tools.
"""

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml

from app.config import Settings
from tests.examples.test_nginx import nginx_binary

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
SIDECAR = K8S / "sidecar.yaml"
DASHBOARD = DEPLOY / "grafana" / "web3-auth.json"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_EXAMPLE = ROOT / "examples" / "nginx" / "nginx.conf"

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
K8S_FILES = sorted([*K8S.rglob("*.yaml"), *K8S.rglob("*.yml")])

DEFAULT_SHUTDOWN_GRACE = 10  # seconds, when AUTH_SHUTDOWN_GRACE is not set

EXPORTED_METRICS = {
    "web3auth_http_requests_total",
    "web3auth_http_request_duration_seconds",
    "web3auth_http_connections_closed_total",
    "web3auth_sign_ins_total",
    "web3auth_tokens_total",
    "web3auth_rate_limited_total",
    "web3auth_store_operation_duration_seconds",
    "web3auth_store_errors_total",
    "web3auth_session_cache_reads_total",
    "web3auth_rpc_calls_total",
    "web3auth_rpc_node_healthy",
    "web3auth_rpc_breaker_state",
    "web3auth_sessions_live",
    "web3auth_sessions_max",
    "web3auth_gc_pause_seconds",
}
HISTOGRAMS = {
    "web3auth_http_request_duration_seconds",
    "web3auth_store_operation_duration_seconds",
    "web3auth_gc_pause_seconds",
}

API_VERSIONS = {
    "ConfigMap": "v1",
    "Secret": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
}

Doc = dict[str, Any]


def load_documents(path: Path) -> list[Doc]:
    documents = [document for document in yaml.safe_load_all(path.read_text()) if document is not None]
    for document in documents:
        assert isinstance(document, dict), f"{path.name}: a document is not a mapping"
    return documents


def k8s_documents() -> list[Doc]:
    return [document for path in K8S_FILES for document in load_documents(path)]


def workloads() -> list[Doc]:
    return [document for document in k8s_documents() if document["kind"] in ("Deployment", "StatefulSet")]


def deployments() -> list[Doc]:
    return [document for document in k8s_documents() if document["kind"] == "Deployment"]


def is_web3_auth(container: Doc) -> bool:
    image: str = container["image"]
    return image.rsplit("/", 1)[-1].startswith("web3-auth:")


def web3_auth_containers() -> Iterator[tuple[Doc, Doc]]:
    """(Deployment, container) for every web3-auth container of every Deployment."""
    for deployment in deployments():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if is_web3_auth(container):
                yield deployment, container


def container_environment(container: Doc) -> dict[str, str]:
    """The literal environment of a container: its ConfigMaps (envFrom) overlaid with its own `env` values."""
    config_maps = {
        document["metadata"]["name"]: document for document in k8s_documents() if document["kind"] == "ConfigMap"
    }
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in config_maps, f"{container['name']}: envFrom names ConfigMap {name}, which no manifest holds"
            environment.update({key: str(value) for key, value in config_maps[name]["data"].items()})
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = str(variable["value"])
    return environment


def pre_stop_seconds(container: Doc) -> int:
    """How long the container's preStop hook sleeps (a `sleep` action, or an exec of `sleep N`); 0 if none."""
    hook = container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in hook:
        seconds: int = hook["sleep"]["seconds"]
        return seconds
    command = hook.get("exec", {}).get("command", [])
    words = shlex.split(command[-1]) if command[:1] in (["sh"], ["/bin/sh"]) else list(command)
    for position, word in enumerate(words[:-1]):
        if word.rsplit("/", 1)[-1] == "sleep":
            return int(words[position + 1])
    return 0


def effective_security(pod_spec: Doc, container: Doc, field: str) -> Any:
    container_context = container.get("securityContext", {})
    if field in container_context:
        return container_context[field]
    return pod_spec.get("securityContext", {}).get(field)


def container_port(container: Doc, port: int | str) -> int | None:
    """The number of a probe's `port` (a number or a named container port)."""
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            number: int = declared["containerPort"]
            return number
    return None


def probe_target(container: Doc, probe: Doc) -> tuple[str, int | None]:
    """(path, port) a probe checks: an httpGet, or an exec whose command opens an http://127.0.0.1 URL."""
    if "httpGet" in probe:
        return probe["httpGet"]["path"], container_port(container, probe["httpGet"]["port"])
    command = " ".join(probe.get("exec", {}).get("command", []))
    found = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[A-Za-z0-9_./-]*)", command)
    assert found is not None, f"{container['name']}: a probe neither GETs a path nor opens a loopback URL"
    return found.group(2), int(found.group(1))


def served_port(container: Doc) -> int:
    """The port web3-auth listens on in this container: AUTH_PORT, or the default 8000."""
    return int(container_environment(container).get("AUTH_PORT", "8000"))


def compose() -> Doc:
    (document,) = load_documents(COMPOSE)
    return document


def sidecar_nginx_conf() -> str:
    config_maps = [document for document in load_documents(SIDECAR) if document["kind"] == "ConfigMap"]
    confs = [
        data["nginx.conf"] for data in (document.get("data", {}) for document in config_maps) if "nginx.conf" in data
    ]
    assert len(confs) == 1, "sidecar.yaml must hold exactly one ConfigMap with an nginx.conf"
    conf: str = confs[0]
    return conf


def setting_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix")
    assert prefix == "AUTH_"
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


# --- all YAML ---------------------------------------------------------------------------------------------


def test_the_kits_are_there() -> None:
    assert COMPOSE in YAML_FILES
    assert {path.name for path in K8S_FILES} >= {"web3-auth.yaml", "redis.yaml", "sidecar.yaml"}
    assert DASHBOARD.is_file()
    assert (DEPLOY / "README.md").is_file()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda path: str(path.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    assert load_documents(path), f"{path.name} holds no document"


def test_every_auth_variable_named_in_the_kits_is_a_setting() -> None:
    """Any AUTH_* word anywhere in deploy/ or the Dockerfile (keys, values, comments, the README): a typo or a
    renamed setting would otherwise be silently ignored by the service."""
    used: dict[str, set[str]] = {}
    for path in [DOCKERFILE, *sorted(path for path in DEPLOY.rglob("*") if path.is_file())]:
        for name in re.findall(r"\bAUTH_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert "AUTH_REDIS_URL" in used
    unknown = {name: sorted(paths) for name, paths in used.items() if name not in setting_names()}
    assert not unknown, f"not settings of app.config.Settings: {unknown}"


# --- docker compose ---------------------------------------------------------------------------------------


def test_compose_runs_web3_auth_and_redis() -> None:
    services = compose()["services"]
    assert {"web3-auth", "redis"} <= set(services)
    web3_auth = services["web3-auth"]
    assert web3_auth["image"] == "web3-auth:local"
    assert web3_auth["build"]["context"] == ".."
    assert (
        COMPOSE.parent / web3_auth["build"]["context"] / web3_auth["build"].get("dockerfile", "Dockerfile")
    ).resolve() == DOCKERFILE
    assert web3_auth["environment"]["AUTH_REDIS_URL"] == "redis://redis:6379/0"
    assert web3_auth["depends_on"]["redis"]["condition"] == "service_healthy"


def test_compose_redis_never_evicts_and_persists() -> None:
    command = compose()["services"]["redis"]["command"]
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    assert words[0] == "redis-server"
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"
    assert words[words.index("--appendonly") + 1] == "yes"


def test_compose_web3_auth_is_read_only_and_not_root() -> None:
    web3_auth = compose()["services"]["web3-auth"]
    assert web3_auth["read_only"] is True
    assert any(str(mount).split(":")[0] == "/tmp" for mount in web3_auth["tmpfs"])
    user = str(web3_auth.get("user") or dockerfile_final_user())
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), uid
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    assert "ALL" in web3_auth.get("cap_drop", [])


def test_compose_healthchecks() -> None:
    for name in ("web3-auth", "redis"):
        check = compose()["services"][name]["healthcheck"]
        assert not check.get("disable", False)
        assert check["test"][0] in ("CMD", "CMD-SHELL")
        assert len(check["test"]) > 1
    assert "/readyz" in " ".join(compose()["services"]["web3-auth"]["healthcheck"]["test"])
    assert "ping" in " ".join(compose()["services"]["redis"]["healthcheck"]["test"])


def test_compose_publishes_on_loopback_only_and_mounts_the_keys_read_only() -> None:
    web3_auth = compose()["services"]["web3-auth"]
    assert web3_auth["ports"], "web3-auth publishes no port"
    for port in web3_auth["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"{port} is published beyond loopback"
    assert "ports" not in compose()["services"]["redis"]
    keys_file = web3_auth["environment"]["AUTH_JWT_KEYS_FILE"]
    mounts = [str(volume).split(":") for volume in web3_auth["volumes"]]
    holding = [mount for mount in mounts if keys_file == mount[1] or keys_file.startswith(mount[1].rstrip("/") + "/")]
    assert holding, f"no volume holds {keys_file}"
    assert all(mount[2:] == ["ro"] for mount in holding), "the key file must be mounted read-only"


def test_compose_stops_after_the_drain() -> None:
    web3_auth = compose()["services"]["web3-auth"]
    grace = int(web3_auth["environment"].get("AUTH_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE))
    found = re.fullmatch(r"(\d+)s", str(web3_auth.get("stop_grace_period", "10s")))
    assert found is not None
    assert int(found.group(1)) > grace


# --- Kubernetes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", K8S_FILES, ids=lambda path: path.name)
def test_every_manifest_names_its_kind_and_has_no_namespace(path: Path) -> None:
    for document in load_documents(path):
        assert document.get("apiVersion"), f"{path.name}: a document has no apiVersion"
        assert document.get("kind"), f"{path.name}: a document has no kind"
        name = document.get("metadata", {}).get("name")
        assert name, f"{path.name}: a {document['kind']} has no metadata.name"
        assert document["apiVersion"] == API_VERSIONS.get(document["kind"]), f"{path.name}: {document['kind']} {name}"
        assert "namespace" not in document["metadata"], f"{path.name}: {name} is pinned to a namespace"


def test_manifest_names_are_unique_per_kind() -> None:
    keys = [(document["kind"], document["metadata"]["name"]) for document in k8s_documents()]
    assert len(keys) == len(set(keys)), keys


def test_web3_auth_deployment_has_three_replicas_a_service_and_a_disruption_budget() -> None:
    (deployment,) = [
        document for document in load_documents(K8S / "web3-auth.yaml") if document["kind"] == "Deployment"
    ]
    assert deployment["spec"]["replicas"] == 3
    kinds = {document["kind"] for document in load_documents(K8S / "web3-auth.yaml")}
    assert {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} <= kinds
    pod = deployment["spec"]["template"]["spec"]
    assert pod.get("topologySpreadConstraints") or pod.get("affinity", {}).get("podAntiAffinity")


def test_there_is_a_web3_auth_container_in_each_deployment() -> None:
    assert {deployment["metadata"]["name"] for deployment, _ in web3_auth_containers()} == {
        deployment["metadata"]["name"] for deployment in deployments()
    }


def test_web3_auth_probes_check_healthz_and_readyz_on_its_port() -> None:
    for deployment, container in web3_auth_containers():
        where = f"{deployment['metadata']['name']}/{container['name']}"
        port = served_port(container)
        assert probe_target(container, container["livenessProbe"]) == ("/healthz", port), where
        assert probe_target(container, container["readinessProbe"]) == ("/readyz", port), where
        assert probe_target(container, container["startupProbe"]) == ("/healthz", port), where
        if container_environment(container).get("AUTH_HOST", "127.0.0.1") in ("127.0.0.1", "localhost"):
            # the kubelet probes the pod's address, which a loopback listener does not answer
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert "exec" in container[probe], f"{where}: {probe} cannot reach 127.0.0.1 over HTTP"
        else:
            declared = [declared["containerPort"] for declared in container.get("ports", [])]
            assert port in declared, f"{where}: listens on {port}, declares {declared}"


def test_every_container_is_non_root_read_only_and_unprivileged() -> None:
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        assert pod.get("securityContext", {}).get("seccompProfile", {}).get("type") == "RuntimeDefault"
        assert pod.get("automountServiceAccountToken") is False
        for container in pod["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert effective_security(pod, container, "runAsNonRoot") is True, where
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in container["securityContext"]["capabilities"], where
            requests = container.get("resources", {}).get("requests", {})
            limits = container.get("resources", {}).get("limits", {})
            assert {"cpu", "memory"} <= set(requests), f"{where}: resource requests"
            assert "memory" in limits, f"{where}: memory limit"


def test_web3_auth_runs_as_the_image_user_with_a_writable_tmp() -> None:
    uid = int(dockerfile_final_user().split(":")[0])
    for deployment, container in web3_auth_containers():
        pod = deployment["spec"]["template"]["spec"]
        assert effective_security(pod, container, "runAsUser") == uid
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        (tmp,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
        assert "emptyDir" in volumes[tmp["name"]]


def test_web3_auth_outlives_its_drain() -> None:
    """SIGKILL comes terminationGracePeriodSeconds after the deletion, preStop included: it must come after
    the preStop sleep and the whole AUTH_SHUTDOWN_GRACE drain."""
    for deployment, container in web3_auth_containers():
        where = f"{deployment['metadata']['name']}/{container['name']}"
        grace = int(container_environment(container).get("AUTH_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE))
        sleep = pre_stop_seconds(container)
        assert sleep >= 3, f"{where}: no preStop sleep for the endpoints to update"
        period = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert period > grace + sleep, f"{where}: {period} s <= preStop {sleep} s + AUTH_SHUTDOWN_GRACE {grace} s"


def test_web3_auth_key_file_comes_from_a_read_only_secret() -> None:
    for deployment, container in web3_auth_containers():
        pod = deployment["spec"]["template"]["spec"]
        keys_file = container_environment(container)["AUTH_JWT_KEYS_FILE"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        (mount,) = [
            mount for mount in container["volumeMounts"] if keys_file.startswith(mount["mountPath"].rstrip("/") + "/")
        ]
        assert mount["readOnly"] is True
        assert "secret" in volumes[mount["name"]]


def test_references_resolve() -> None:
    """Secrets and ConfigMaps the pods use exist (as placeholders at least); Services and disruption budgets
    select the pods of a workload, on a port a container declares."""
    documents = k8s_documents()
    names = {(document["kind"], document["metadata"]["name"]) for document in documents}
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        assert (
            workload["spec"]["selector"]["matchLabels"].items()
            <= workload["spec"]["template"]["metadata"]["labels"].items()
        )
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert ("Secret", volume["secret"]["secretName"]) in names
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
        for container in pod["containers"]:
            container_environment(container)  # envFrom ConfigMaps exist
            for variable in container.get("env", []):
                if "secretKeyRef" in variable.get("valueFrom", {}):
                    assert ("Secret", variable["valueFrom"]["secretKeyRef"]["name"]) in names
    for document in documents:
        if document["kind"] not in ("Service", "PodDisruptionBudget"):
            continue
        selector = document["spec"]["selector"]
        selector = selector.get("matchLabels", selector) if document["kind"] == "PodDisruptionBudget" else selector
        selected = [w for w in workloads() if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()]
        assert len(selected) == 1, (
            f"{document['kind']} {document['metadata']['name']} selects {len(selected)} workloads"
        )
        if document["kind"] == "Service":
            containers = selected[0]["spec"]["template"]["spec"]["containers"]
            for port in document["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                assert any(container_port(container, target) for container in containers), port


def test_placeholder_secrets_hold_no_secret() -> None:
    """kubectl creates the real ones; a placeholder with data would overwrite them on the next apply."""
    for document in k8s_documents():
        if document["kind"] == "Secret":
            assert not document.get("data"), document["metadata"]["name"]
            assert not document.get("stringData"), document["metadata"]["name"]


def test_kubernetes_redis_never_evicts_and_persists() -> None:
    (statefulset,) = [document for document in load_documents(K8S / "redis.yaml") if document["kind"] == "StatefulSet"]
    assert statefulset["spec"]["replicas"] == 1
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    words = [str(word) for word in [*container.get("command", []), *container.get("args", [])]]
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"
    assert words[words.index("--appendonly") + 1] == "yes"
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert any(mount["name"] == claim["metadata"]["name"] for mount in container["volumeMounts"])
    services = {
        document["metadata"]["name"] for document in load_documents(K8S / "redis.yaml") if document["kind"] == "Service"
    }
    assert statefulset["spec"]["serviceName"] in services


def test_sidecar_listens_on_loopback_and_trusts_only_nginx() -> None:
    (deployment,) = [document for document in load_documents(SIDECAR) if document["kind"] == "Deployment"]
    containers = {container["name"]: container for container in deployment["spec"]["template"]["spec"]["containers"]}
    (web3_auth,) = [container for container in containers.values() if is_web3_auth(container)]
    environment = container_environment(web3_auth)
    assert environment["AUTH_HOST"] == "127.0.0.1"
    assert environment["AUTH_TRUSTED_PROXIES"] == "127.0.0.1/32"
    assert "ports" not in web3_auth
    (nginx,) = [container for container in containers.values() if "nginx" in container["image"]]
    (api,) = [container for container in containers.values() if container["image"].startswith("your-api:")]
    assert "ports" not in api
    assert [port["containerPort"] for port in nginx["ports"]] == [8081]
    (service,) = [document for document in load_documents(SIDECAR) if document["kind"] == "Service"]
    assert [container_port(nginx, port["targetPort"]) for port in service["spec"]["ports"]] == [8081]


def test_sidecar_nginx_conf_is_the_forward_auth_example() -> None:
    conf = sidecar_nginx_conf()
    assert "auth_request /_web3_auth_forward;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert conf.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
    for header in ("X-Auth-Address", "X-Auth-Chain-Id", "X-Auth-Session"):
        assert re.search(rf"^\s*proxy_set_header {header} \$web3_auth_\w+;$", conf, re.MULTILINE), header
    assert re.search(r"^\s*listen 0\.0\.0\.0:8081;$", conf, re.MULTILINE)
    assert re.search(r"^\s*server 127\.0\.0\.1:8000;$", conf, re.MULTILINE)
    assert re.search(r"^\s*server 127\.0\.0\.1:8080;$", conf, re.MULTILINE)
    # every forwarding directive of the tested example, unchanged
    directives = re.compile(
        r"^\s*((?:auth_request|auth_request_set|proxy_set_header|proxy_pass\w*|internal)\b.*)$", re.MULTILINE
    )
    missing = set(directives.findall(NGINX_EXAMPLE.read_text())) - set(directives.findall(conf))
    assert not missing, f"examples/nginx/nginx.conf directives not in the sidecar's: {sorted(missing)}"


def test_sidecar_nginx_conf_is_valid_for_nginx(tmp_path: Path) -> None:
    binary = nginx_binary()
    # its run-time files go to /tmp (an emptyDir in the pod): here, to a directory of this test's own
    (tmp_path / "nginx.conf").write_text(sidecar_nginx_conf().replace("/tmp/", f"{tmp_path}/"))
    result = subprocess.run(
        [binary, "-t", "-q", "-p", str(tmp_path), "-c", "nginx.conf"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


# --- Grafana ----------------------------------------------------------------------------------------------


def dashboard_panels(panels: list[Doc]) -> Iterator[Doc]:
    for panel in panels:
        yield panel
        yield from dashboard_panels(panel.get("panels", []))


def test_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 36
    assert "DS_PROMETHEUS" in {variable["name"] for variable in dashboard["templating"]["list"]} | {
        source["name"] for source in dashboard.get("__inputs", [])
    }
    used: set[str] = set()
    ids = []
    for panel in dashboard_panels(dashboard["panels"]):
        ids.append(panel["id"])
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            expression = target["expr"]
            names = set(re.findall(r"web3auth_[a-z_]+", expression))
            assert names, f"{panel['title']}: {expression} queries no web3auth_ metric"
            for name in names:
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                assert base in EXPORTED_METRICS, f"{panel['title']}: {name} is not exported"
                assert base == name or base in HISTOGRAMS, f"{panel['title']}: {name} is not a histogram series"
                if name.endswith("_bucket"):
                    assert "histogram_quantile(" in expression, expression
                    assert re.search(r"by \([^)]*\ble\b", expression), expression
                used.add(base)
    assert len(ids) == len(set(ids)), "panel ids repeat"
    assert used == EXPORTED_METRICS, f"no panel shows {sorted(EXPORTED_METRICS - used)}"


def test_the_metric_list_is_what_the_service_exports() -> None:
    """EXPORTED_METRICS above (what the dashboard may query) against the collectors the app registers."""
    import app.observability.metrics  # noqa: F401 - registers the collectors
    from app.observability import gc_pauses

    gc_pauses.install()  # as the served app does (app.main.create_served_app)

    registry = prometheus_client.REGISTRY
    exported = {
        f"{family.name}_total" if family.type == "counter" else family.name
        for family in registry.collect()
        if family.name.startswith("web3auth_")
    }
    assert exported == EXPORTED_METRICS


def test_dashboard_has_the_promised_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [
        target["expr"] for panel in dashboard_panels(dashboard["panels"]) for target in panel.get("targets", [])
    ]
    for quantile in ("0.5", "0.95", "0.99"):
        assert any(
            f"histogram_quantile({quantile}," in e and "web3auth_http_request_duration" in e for e in expressions
        )
    assert any('outcome="ok"' in e and "/" in e for e in expressions), "no sign-in success ratio"
    assert any("by (outcome)" in e for e in expressions)
    assert any("by (event)" in e for e in expressions)
    assert any("by (limit)" in e for e in expressions)
    assert any("by (chain, node, outcome)" in e for e in expressions)


# --- Dockerfile and .dockerignore -------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped[:-1] + " " if stripped.endswith("\\") else stripped
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def dockerfile_stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """(base image, with global ARG defaults substituted; instructions) of every stage, in order."""
    arguments: dict[str, str] = {}
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            arguments[name] = default
        elif keyword == "FROM":
            image = rest.split()[0]
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda found: arguments[found.group(1) or found.group(2)], image)
            stages.append((image, []))
        else:
            assert stages, f"{keyword} before FROM"
            stages[-1][1].append((keyword, rest))
    return stages


def dockerfile_final_user() -> str:
    users = [rest for keyword, rest in dockerfile_stages()[-1][1] if keyword == "USER"]
    assert users, "the final stage sets no USER"
    return users[-1]


def test_dockerfile_bases_are_pinned() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "not a multi-stage build"
    names = {
        rest.split()[-1]
        for keyword, rest in dockerfile_instructions()
        if keyword == "FROM" and " AS " in f" {rest.upper()} "
    }
    for image, _ in stages:
        if image in names:
            continue  # FROM an earlier stage
        repository, _, tag = image.split("@")[0].rpartition(":")
        assert repository, image
        assert tag not in ("", "latest"), f"{image} is not pinned to a tag"
        assert re.match(r"\d+\.\d+\.\d+-", tag), f"{image}: the tag has no exact patch version"
    assert stages[0][0] == stages[-1][0], "the virtualenv must run on the image it was built on"


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    uid, _, gid = dockerfile_final_user().partition(":")
    assert uid.isdigit(), uid
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_dockerfile_command_environment_and_checks() -> None:
    final = dockerfile_stages()[-1][1]
    (command,) = [rest for keyword, rest in final if keyword == "CMD"]
    assert json.loads(command) == ["python", "-m", "app"], "CMD must be the exec form of `python -m app`"
    environment = " ".join(rest for keyword, rest in final if keyword == "ENV")
    for setting in ("AUTH_HOST=0.0.0.0", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
        assert re.search(rf"(^|\s){re.escape(setting)}(\s|$)", environment), setting
    assert ("EXPOSE", "8000") in final
    assert ("STOPSIGNAL", "SIGTERM") in final
    (healthcheck,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    assert '"python"' in healthcheck, "the slim image has no curl: check with the interpreter"


def test_dockerfile_final_stage_has_no_build_tools() -> None:
    final = dockerfile_stages()[-1][1]
    for keyword, rest in final:
        if keyword == "RUN":
            assert not re.search(r"\b(build-essential|gcc|g\+\+|clang|make|python3?-dev)\b", rest), rest
            assert not re.search(r"\bpip\b.*\binstall\b", rest), "the final stage installs with pip"
    copies = [rest for keyword, rest in final if keyword in ("COPY", "ADD")]
    assert copies
    assert all(rest.startswith("--from=") for rest in copies), "the final stage copies only from the build"


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps `path` (relative, /-separated) out of the build context: the last pattern
    that matches the path or one of its parent directories decides; `!` re-includes."""
    excluded = False
    parts = path.split("/")
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = (
            re.escape(pattern)
            .replace(r"\*\*/", "(.*/)?")
            .replace(r"\*\*", ".*")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
        )
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".venv/bin/python", True),
        (".git/HEAD", True),
        ("tests/chain/node_modules/ganache/package.json", True),
        ("tests/test_cli.py", True),
        (".mypy_cache/3.11/app.json", True),
        (".ruff_cache/content", True),
        (".pytest_cache/v/cache", True),
        ("app/__pycache__/main.cpython-311.pyc", True),
        ("deploy/keys.json", True),
        ("keys.json", True),
        ("pyproject.toml", False),
        ("README.md", False),
        ("app/main.py", False),
        ("app/domain/signatures/SignatureValidator.bin", False),
    ],
)
def test_dockerignore_keeps_the_context_tight(path: str, excluded: bool) -> None:
    assert dockerignore_excludes(path) is excluded
    if not excluded:
        assert (ROOT / path).exists(), f"{path} is needed but missing"
