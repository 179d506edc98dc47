"""appaudit: audit Android apps against China's 2019 Determination Rules.

(《App违法违规收集使用个人信息行为认定方法》, CAC/MIIT/MPS/SAMR.)
"""

__version__ = "0.1.0"
