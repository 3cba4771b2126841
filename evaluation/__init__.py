"""Answer-quality evaluation: questions with expected sources and facts, scored against the
engine. Imports `bot`; the answer path never imports this.
"""
