"""torchvision's CNN zoo as Flax NNX modules: ``from convjax import models``.

Constructors have torchvision's names and keyword arguments (no ``weights``) plus
``rngs=``; attribute paths equal torchvision's state-dict keys, so
``interop.load_torch_state_dict(model, tv_model.state_dict())`` loads a torchvision
model's weights with no renaming and the eval logits match. The generic classes
(``ResNet``, ``MobileNetV2``, ``EfficientNet``, ``ConvNeXt``, ``RegNet``, ...) build
variants exactly as torchvision's do; their building blocks live in the family
submodules (``models.resnet.Bottleneck``, ``models.vgg.make_layers``,
``models.mobilenet.InvertedResidualConfig``, ...).

Examples:
  >>> from flax import nnx
  >>> from convjax import models
  >>> model = nnx.eval_shape(lambda: models.resnet18(num_classes=10, rngs=nnx.Rngs(0)))
  >>> model.fc.weight.shape
  (10, 512)
"""

from convjax._src.models import convnext as convnext
from convjax._src.models import densenet as densenet
from convjax._src.models import efficientnet as efficientnet
from convjax._src.models import mobilenet as mobilenet
from convjax._src.models import regnet as regnet
from convjax._src.models import resnet as resnet
from convjax._src.models import segmentation as segmentation
from convjax._src.models import shufflenet as shufflenet
from convjax._src.models import squeezenet as squeezenet
from convjax._src.models import vgg as vgg
from convjax._src.models.convnext import CNBlockConfig as CNBlockConfig
from convjax._src.models.convnext import ConvNeXt as ConvNeXt
from convjax._src.models.convnext import convnext_tiny as convnext_tiny
from convjax._src.models.densenet import DenseNet as DenseNet
from convjax._src.models.densenet import densenet121 as densenet121
from convjax._src.models.efficientnet import EfficientNet as EfficientNet
from convjax._src.models.efficientnet import MBConvConfig as MBConvConfig
from convjax._src.models.efficientnet import efficientnet_b0 as efficientnet_b0
from convjax._src.models.mobilenet import (
    InvertedResidualConfig as InvertedResidualConfig,
)
from convjax._src.models.mobilenet import MobileNetV2 as MobileNetV2
from convjax._src.models.mobilenet import MobileNetV3 as MobileNetV3
from convjax._src.models.mobilenet import mobilenet_v2 as mobilenet_v2
from convjax._src.models.mobilenet import mobilenet_v3_large as mobilenet_v3_large
from convjax._src.models.mobilenet import mobilenet_v3_small as mobilenet_v3_small
from convjax._src.models.regnet import BlockParams as BlockParams
from convjax._src.models.regnet import RegNet as RegNet
from convjax._src.models.regnet import regnet_y_400mf as regnet_y_400mf
from convjax._src.models.resnet import BasicBlock as BasicBlock
from convjax._src.models.resnet import Bottleneck as Bottleneck
from convjax._src.models.resnet import ResNet as ResNet
from convjax._src.models.resnet import resnet18 as resnet18
from convjax._src.models.resnet import resnet34 as resnet34
from convjax._src.models.resnet import resnet50 as resnet50
from convjax._src.models.resnet import resnext50_32x4d as resnext50_32x4d
from convjax._src.models.resnet import wide_resnet50_2 as wide_resnet50_2
from convjax._src.models.segmentation import FCN as FCN
from convjax._src.models.segmentation import DeepLabV3 as DeepLabV3
from convjax._src.models.segmentation import (
    deeplabv3_mobilenet_v3_large as deeplabv3_mobilenet_v3_large,
)
from convjax._src.models.segmentation import fcn_resnet50 as fcn_resnet50
from convjax._src.models.shufflenet import ShuffleNetV2 as ShuffleNetV2
from convjax._src.models.shufflenet import shufflenet_v2_x1_0 as shufflenet_v2_x1_0
from convjax._src.models.squeezenet import SqueezeNet as SqueezeNet
from convjax._src.models.squeezenet import squeezenet1_0 as squeezenet1_0
from convjax._src.models.squeezenet import squeezenet1_1 as squeezenet1_1
from convjax._src.models.vgg import VGG as VGG
from convjax._src.models.vgg import AlexNet as AlexNet
from convjax._src.models.vgg import alexnet as alexnet
from convjax._src.models.vgg import vgg11_bn as vgg11_bn

__all__ = [
    # Family submodules (their building blocks: models.vgg.make_layers, ...).
    "convnext",
    "densenet",
    "efficientnet",
    "mobilenet",
    "regnet",
    "resnet",
    "segmentation",
    "shufflenet",
    "squeezenet",
    "vgg",
    # Classification constructors.
    "alexnet",
    "convnext_tiny",
    "densenet121",
    "efficientnet_b0",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
    "regnet_y_400mf",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnext50_32x4d",
    "shufflenet_v2_x1_0",
    "squeezenet1_0",
    "squeezenet1_1",
    "vgg11_bn",
    "wide_resnet50_2",
    # Segmentation constructors (dict output "out"/"aux").
    "deeplabv3_mobilenet_v3_large",
    "fcn_resnet50",
    # Generic classes and their configurations.
    "AlexNet",
    "BasicBlock",
    "BlockParams",
    "Bottleneck",
    "CNBlockConfig",
    "ConvNeXt",
    "DeepLabV3",
    "DenseNet",
    "EfficientNet",
    "FCN",
    "InvertedResidualConfig",
    "MBConvConfig",
    "MobileNetV2",
    "MobileNetV3",
    "RegNet",
    "ResNet",
    "ShuffleNetV2",
    "SqueezeNet",
    "VGG",
]
