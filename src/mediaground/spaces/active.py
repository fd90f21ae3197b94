"""Which spaces a library searches and fills now, and the models that made them, each checked
against its pin.

Three primary roles carry pipeline duties: "text" (metadata text, label bridges, transcript
segments), "image" (image features + labels) and "audio" (transcripts + acoustic windows). Any
other role is an added space (e.g. CLIP beside the defaults) that embeds what its model takes.
Each role has at most one active space; a migration builds a shadow space in the same role, and
activation swaps them (the old one becomes "previous" until it is retired).

A model whose weights or preprocessing no longer match the pinned space is refused here, before
any vector is compared or written: vectors of different spaces never mix.
"""

from __future__ import annotations

from functools import cached_property

from mediaground.catalog import Catalog, SpaceRecord
from mediaground.errors import MediagroundError, ModelError
from mediaground.models.base import Embedder, ImageEmbedder, Space
from mediaground.models.bridge import LabelBridge
from mediaground.models.registry import get_model

DEFAULT_TEXT_MODEL = "minilm-l6-v2"
DEFAULT_IMAGE_MODEL = "efficientnet-lite0"
DEFAULT_AUDIO_MODEL = "whisper-tiny.en"
DEFAULTS = {"text": DEFAULT_TEXT_MODEL, "image": DEFAULT_IMAGE_MODEL, "audio": DEFAULT_AUDIO_MODEL}


class ActiveSpaces:
    """The pinned spaces of one library and their models (models load lazily, once)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # --- the primary roles --------------------------------------------------------------------
    def configured(self, role: str) -> str:
        """The model spec the library uses for a primary role."""
        return self.catalog.settings.get(f"{role}_model") or DEFAULTS[role]

    @cached_property
    def text_model(self) -> Embedder:
        return get_model(self.configured("text"))

    @cached_property
    def image_model(self) -> ImageEmbedder:
        model = get_model(self.configured("image"))
        if not isinstance(model, ImageEmbedder):
            raise ModelError(f"{model.model_id} is not an image model")
        return model

    @cached_property
    def audio_model(self) -> Embedder:
        model = get_model(self.configured("audio"))
        if "audio" not in model.inputs:
            raise ModelError(f"{model.model_id} is not an audio model")
        return model

    @cached_property
    def text_space(self) -> Space:
        return self._pinned(self.text_model, "text")

    @cached_property
    def image_space(self) -> Space:
        return self._pinned(self.image_model, "image")

    @cached_property
    def audio_space(self) -> Space:
        return self._pinned(self.audio_model, "audio")

    @cached_property
    def bridge(self) -> LabelBridge:
        return LabelBridge(self.image_model, self.text_model)

    def has_audio(self) -> bool:
        """Whether the library holds an active audio space (image-only libraries never load the
        speech model)."""
        return self.catalog.spaces.has_role("audio", "active")

    def _pinned(self, model: Embedder, role: str) -> Space:
        """The model's space; refuse to mix vectors if its weights or preprocessing changed."""
        space = model.space()
        active = self.catalog.spaces.active(role)
        if active is not None and active.space_id != space.id:
            raise pin_error(role, model, active, space)
        if active is None:
            with self.catalog.transaction():
                self.catalog.spaces.add(space, role, spec=self._spec(role, model))
        return space

    def _spec(self, role: str, model: Embedder) -> str:
        return self.catalog.settings.get(f"{role}_model") or model.model_id

    # --- any space ------------------------------------------------------------------------------
    def row(self, space_id: str) -> SpaceRecord:
        row = self.catalog.spaces.get(space_id)
        if row is None:
            raise MediagroundError(f"no space {space_id!r} in this library (see `mediaground spaces`)")
        return row

    def model_for(self, space: Space | str) -> Embedder:
        """The model that made (and queries) a space, rebuilt from the spec the catalog keeps, and
        checked against the pin: a changed weight file is refused, never silently mixed."""
        row = self.row(space if isinstance(space, str) else space.id)
        model = get_model(row.spec)
        current = model.space()
        if current.id != row.space_id:
            raise pin_error(row.role, model, row, current)
        return model

    def resolve(self, ref: str) -> str:
        """A space id, a role name (its active space) or a unique prefix of an id → space id."""
        rows = self.catalog.spaces.all()
        exact = [r.space_id for r in rows if r.space_id == ref]
        if exact:
            return exact[0]
        by_role = [r.space_id for r in rows if r.role == ref and r.status == "active"]
        if by_role:
            return by_role[0]
        prefix = [r.space_id for r in rows if r.space_id.startswith(ref)]
        if len(prefix) == 1:
            return prefix[0]
        if prefix:
            raise MediagroundError(f"{ref!r} matches several spaces: {', '.join(prefix)}")
        raise MediagroundError(f"no space {ref!r} in this library (see `mediaground spaces`)")

    def added(self) -> list[Space]:
        """Active spaces beside the primary roles (e.g. CLIP next to the bundled models)."""
        out = []
        for row in self.catalog.spaces.active_added():
            self.model_for(row.space_id)  # pin check
            out.append(row.space)
        return out

    def primary(self) -> list[Space]:
        """Text and image always; audio once the library holds audio vectors. Each pin is checked."""
        spaces = [self.text_space, self.image_space]
        if self.has_audio():
            spaces.append(self.audio_space)
        return spaces

    def in_use(self) -> list[Space]:
        """The primary spaces, then every added active space."""
        return self.primary() + self.added()

    def for_queries(self, modality: str) -> list[tuple[Space, Embedder]]:
        """Active spaces that can embed a query of this modality ("text", "image" or "audio"), each
        with the model that embeds the query (compare through the vector index, cosine)."""
        out = []
        for space in self.in_use():
            model = self.model_for(space)
            if modality in model.inputs:
                out.append((space, model))
        return out

    def forget(self) -> None:
        """Drop cached models and spaces after the active spaces changed (activate, rollback)."""
        for name in ("text_model", "image_model", "audio_model", "text_space", "image_space", "audio_space",
                     "bridge"):
            self.__dict__.pop(name, None)

    def repin(self) -> list[str]:
        """Accept the models as they are now: spaces whose pin no longer matches are retired (their
        vector records dropped) and the current ones become active. Only `reindex` calls this, since
        it re-embeds everything right after. Returns the retired space ids; the caller drops their
        vectors from the index."""
        retired = []
        roles = {"text": self.text_model, "image": self.image_model}
        if self.catalog.spaces.has_role("audio"):
            roles["audio"] = self.audio_model
        for role, model in roles.items():
            space = model.space()
            active = self.catalog.spaces.active(role)
            with self.catalog.transaction():
                if active is not None and active.space_id != space.id:
                    self.catalog.spaces.retire(active.space_id)
                    retired.append(active.space_id)
                self.catalog.spaces.add(space, role, spec=self._spec(role, model))
                self.catalog.spaces.set_active(space.id)
        for name in ("text_space", "image_space", "audio_space"):
            self.__dict__.pop(name, None)
        return retired


def pin_error(role: str, model: Embedder, pinned: SpaceRecord, current: Space) -> ModelError:
    return ModelError(
        f"the {role} model {model.model_id} no longer matches the pinned space {pinned.space_id} "
        f"(weights sha256 {pinned.space.weights_sha256[:12]}… vs {current.weights_sha256[:12]}…, "
        f"preprocessor {pinned.space.preprocessor_hash} vs {current.preprocessor_hash}); "
        "its vectors would not be comparable. Restore the pinned weights, or re-embed with "
        "`mediaground reindex` (or stage it: `mediaground migrate --to MODEL`).")
