"""Finding personal information in captured requests: known device values and patterns.

Entry point: :class:`~appaudit.traffic.pi.detect.PiDetector` and :func:`~appaudit.traffic.pi.detect.is_opaque`.
One module per job: ``tree`` (the decode tree and its work budget), ``compression``, ``structure``
(JSON, forms, cookies, multipart), ``protobuf``, ``tokens`` (percent, base64, hex), ``needles``
(profile values and their forms), ``locations`` (coordinates matched numerically), ``patterns``
(PI-shaped values), ``entropy`` (opacity), ``limits`` (every threshold, with its reason).
"""
