"""The company's voice: RAG decides *what* Deskmate says, this package decides *how* it sounds.

`style` (house rules from tone.yaml, no model), `phraser` (the fine-tuned tone model, behind
the `fact_guard`), and the fine-tuning loop: `dataset` + `validation` build and check the
training data, `finetune` runs the jobs, `evaluation` scores a tuned model on held-out data.
"""
