"""Privacy-policy analysis: the policy's text as quotable sentences and tables, and what it declares.

``parse.py`` turns a document (HTML, plain text, GBK or UTF-8) into an
:class:`appaudit.evidence.policy_text.PolicyText` plus its tables; ``extract.py`` reads what the
policy declares (PI types, SDKs, rights, contacts, time limits, readability) into
:class:`appaudit.evidence.policy_text.PolicyEvidence`; ``sources.py`` finds the documents (APK, URL,
captured traffic, the auditor's file).
"""
