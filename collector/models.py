"""Which models a run talks to: entries of the experiment file with their provider objects.

The one place where API keys are read from the environment; the key then lives only
inside the provider object.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.config import DEFAULT_SIMULATOR_URL, Experiment, ModelSpec
from collector.errors import UserError
from collector.providers import Provider, default_base_url, get_provider


@dataclass(frozen=True)
class ResolvedModel:
    """A model entry with its provider object; the key lives only inside the provider."""

    spec: ModelSpec
    provider: Provider
    base_url: str

    @property
    def name(self) -> str:
        return self.spec.name


def resolve_models(exp: Experiment, names: Iterable[str] | None, env: Mapping[str, str],
                   simulator_url: str | None = None) -> list[ResolvedModel]:
    """Pick the models to run and build their providers; the edge where keys are read from ``env``."""
    wanted = list(names) if names else [m.name for m in exp.models]
    if not exp.models:
        raise UserError(f"{exp.source_path}: models: no models declared; add at least one under models:")
    known = {m.name for m in exp.models}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UserError(f"--models: unknown model {unknown[0]!r}; models in {exp.source_path}: {', '.join(sorted(known))}")
    out: list[ResolvedModel] = []
    for name in dict.fromkeys(wanted):
        spec = exp.model_spec(name)
        key = None
        if spec.api_key_env:
            key = env.get(spec.api_key_env)
            if not key:
                raise UserError(
                    f"{exp.source_path}: models[{name}].api_key_env: the environment variable {spec.api_key_env} "
                    f"is not set; export it (export {spec.api_key_env}=...) or remove api_key_env")
        if spec.provider == "simulated":
            base_url = spec.base_url or simulator_url or env.get("ALIGNED_SIMULATOR_URL") or DEFAULT_SIMULATOR_URL
            if not spec.base_url and not base_url.startswith(("http://", "https://")):
                where = "--simulator-url" if simulator_url else "ALIGNED_SIMULATOR_URL"
                raise UserError(f"{where}: {base_url!r} is not a URL; give one like {DEFAULT_SIMULATOR_URL}")
        else:
            base_url = spec.base_url or default_base_url(spec.provider)
        if not base_url:
            raise UserError(f"{exp.source_path}: models[{name}].base_url: required for provider {spec.provider}")
        provider = get_provider(spec.provider)(base_url, key)
        out.append(ResolvedModel(spec, provider, base_url))
    return out
