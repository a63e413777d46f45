"""The teacher: every call to a model that writes or rates text for the dataset.

Owns the request and response types (`types`), the content-addressed response cache
(`cache`), the facade with its budget that the stages use (`client.Teacher`), and the two
providers: any mlx-lm model on this machine (`local`) and Claude through the Anthropic SDK
(`anthropic`). Used by generate (via stages/generation), suggest and the evaluation judge.
Reading order: types -> cache -> client -> local / anthropic.
"""
