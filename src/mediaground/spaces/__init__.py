"""Embedding spaces through their life, in one place:

- `active`   which spaces are in use and the models that made them, each checked against its pin
- `fill`     fill a space from the stored originals and the catalog (migration, catch-up, reindex)
- `migrate`  shadow → drift report → activate → rollback → retire
- `drift`    how far search moves between two spaces
- `reindex`  rebuild every vector from the truth
- `doctor`   what `mediaground spaces` lists and `mediaground doctor` checks
"""
