"""Tiny, real transformers checkpoints for tests: CLIP, SigLIP and CLAP with random weights.

Each builder makes the real architecture with a tiny config (seeded, so the weights are the same
on every run), `save_pretrained`s it and writes a tokenizer and a `preprocessor_config.json` next to
it, all offline: the tokenizers are built in code from a handful of vocabulary entries.

- CLIP: `CLIPTokenizer` (byte-level BPE) from a 256-byte alphabet plus a few merges.
- SigLIP: the real `SiglipTokenizer` needs sentencepiece (not installed), so the folder holds a
  `tokenizers` Unigram model with SigLIP's shape (lowercase, Metaspace, ``</s>`` appended, ``</s>``
  as padding), saved as a `PreTrainedTokenizerFast` that `AutoTokenizer` loads.
- CLAP: `RobertaTokenizer` (byte-level BPE), as LAION's checkpoints use.

The image processors are transformers' PIL ones (no torchvision); the CLAP feature extractor is
`ClapFeatureExtractor` (``rand_trunc``, as the unfused LAION checkpoint).
"""

from __future__ import annotations

import shutil
from pathlib import Path

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)


def _byte_alphabet() -> list[str]:
    from tokenizers import pre_tokenizers

    return sorted(pre_tokenizers.ByteLevel.alphabet())


def _quiet_save(model, folder: Path) -> None:
    """save_pretrained without its progress bar, and without the warnings transformers logs about
    its own default sub-configs (SiglipTextConfig's defaults fail its own token-id check)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model.save_pretrained(str(folder))
    finally:
        hf_logging.set_verbosity(level)


def make_tiny_clip(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_alphabet()
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    merges = [("a", "t</w>"), ("c", "at</w>"), ("d", "o"), ("do", "g</w>"), ("o", "f</w>")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    bos, eos = len(vocab), len(vocab) + 1
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = bos, eos
    CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77).save_pretrained(str(folder))

    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), max_position_embeddings=77, bos_token_id=bos, eos_token_id=eos,
                         pad_token_id=eos, **TINY),
        vision_config=dict(image_size=32, patch_size=8, **TINY),
        projection_dim=16,
    )
    _quiet_save(CLIPModel(config).eval(), folder)
    # shortest edge 40 then a 32 crop: the resize and the crop both matter
    processor = CLIPImageProcessorPil(size={"shortest_edge": 40}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(str(folder))
    return folder


def make_tiny_siglip(folder: Path, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipModel
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pieces = ["<pad>", "</s>", "<unk>", "\u2581"] + list("abcdefghijklmnopqrstuvwxyz0123456789.,")
    pieces += ["\u2581" + w for w in ("this", "is", "a", "photo", "of", "cat", "dog", "red", "sea")]
    vocab = [(p, 0.0 if i < 3 else (-1.0 if len(p) > 1 else -5.0)) for i, p in enumerate(pieces)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", pad_token="</s>", unk_token="<unk>",
                            model_max_length=16).save_pretrained(str(folder))

    torch.manual_seed(seed)
    config = SiglipConfig(
        text_config=dict(vocab_size=64, max_position_embeddings=16, pad_token_id=1, bos_token_id=None,
                         eos_token_id=1, **TINY),
        vision_config=dict(image_size=32, patch_size=8, **TINY),
    )
    _quiet_save(SiglipModel(config).eval(), folder)
    SiglipImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(str(folder))
    return folder


def make_tiny_clap(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, RobertaTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for c in _byte_alphabet():
        vocab[c] = len(vocab)
    merges = [("\u0120", "d"), ("\u0120d", "o"), ("\u0120do", "g"), ("\u0120", "b"), ("a", "r"), ("\u0120b", "ar")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=38).save_pretrained(str(folder))

    torch.manual_seed(seed)
    config = ClapConfig(
        text_config=dict(vocab_size=len(vocab), max_position_embeddings=40, pad_token_id=1, bos_token_id=0,
                         eos_token_id=2, **TINY),
        # the audio tower's hidden_size is patch_embeds_hidden_size * 2 ** (len(depths) - 1)
        audio_config=dict(hidden_size=32, patch_embeds_hidden_size=16, depths=[1, 1], num_attention_heads=[2, 2],
                          window_size=8, spec_size=256, num_mel_bins=64),
        projection_dim=16,
    )
    _quiet_save(ClapModel(config).eval(), folder)
    ClapFeatureExtractor(truncation="rand_trunc").save_pretrained(str(folder))
    return folder


_BUILDERS = {"clip": make_tiny_clip, "siglip": make_tiny_siglip, "clap": make_tiny_clap}


def tiny_copy(kind: str, cache: Path, dest: Path) -> Path:
    """A fresh copy of the cached tiny `kind` checkpoint (built once into `cache`), for tests that
    change files."""
    src = Path(cache) / kind
    if not (src / "config.json").is_file():
        _BUILDERS[kind](src)
    shutil.copytree(src, dest)
    return Path(dest)
