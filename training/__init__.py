"""Offline jobs that make the tone model: datasets from liked answers, fine-tuning
(OpenAI or local LoRA), and its evaluation. Imports `bot`; the answer path never imports this.
"""
