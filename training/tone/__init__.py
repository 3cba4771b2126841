"""The tone model, trained: datasets, OpenAI fine-tuning, local LoRA training, evaluation."""
