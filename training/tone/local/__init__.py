"""The tone model trained on your own hardware: LoRA fine-tuning of a local open-weights model.

`manifest` (what was trained on what) and `serving` (SERVING.md) need nothing beyond Deskmate
itself; `base_model`, `chat_data` and `trainer` use torch, `transformers` and `peft` (the
`tone-local` extra) and are imported only by `deskmate tone train --local`.
"""
