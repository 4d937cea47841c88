"""Self-supervised methods assembled from lightly's heads and losses (one class per method)."""

from nnframe.ssl.methods._base import MomentumSSLMethod, SSLMethod
from nnframe.ssl.methods.barlow_twins import BarlowTwins
from nnframe.ssl.methods.byol import BYOL
from nnframe.ssl.methods.dino import DINO
from nnframe.ssl.methods.moco_v2 import MoCoV2
from nnframe.ssl.methods.simclr import SimCLR
from nnframe.ssl.methods.simsiam import SimSiam
from nnframe.ssl.methods.vicreg import VICReg

__all__ = ["BYOL", "DINO", "BarlowTwins", "MoCoV2", "MomentumSSLMethod", "SSLMethod", "SimCLR", "SimSiam", "VICReg"]
