"""edgelmk: landmark localization from training to edge devices."""

__version__ = "0.1.0"
