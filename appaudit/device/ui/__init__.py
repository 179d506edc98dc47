"""Reading UI hierarchy dumps: nodes, selectors, canonical state ids, and what a screen is.

* :mod:`.hierarchy` parses ``uiautomator dump`` output (untrusted: no DTD, capped size and node count).
* :mod:`.state` gives each screen a canonical id (clock digits, bounds and repeated rows ignored).
* :mod:`.selectors` names tap targets by what they are, hit-tests taps, lists what an explorer may tap.
* :mod:`.classify` says what a screen is (consent prompt, permission dialog, policy, main, other), using
  :mod:`.consent` and :mod:`.screens`; every keyword comes from ``appaudit/data/ui_lexicon.yaml``
  (:mod:`.lexicon`).
"""
