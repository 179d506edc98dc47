"""Static analysis: the APK container, its DEX code and its resources."""
