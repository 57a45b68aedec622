"""SQLAlchemy tables, one file per aggregate. Importing this package registers them all."""

from slideforge.models.account import Account
from slideforge.models.analytics import (
    AnalyticsPost,
    AnalyticsRefresh,
    AnalyticsTarget,
    Experiment,
    ExperimentPost,
    MetricSnapshot,
    ProfileSnapshot,
    TrendBrief,
)
from slideforge.models.base import Base
from slideforge.models.copy_preview import CopyPreview
from slideforge.models.credit import CreditEntry
from slideforge.models.file import File
from slideforge.models.folder import Folder, FolderItem
from slideforge.models.pack import Pack, PackImage
from slideforge.models.post import OAuthState, Post, PostRequest, PostTarget
from slideforge.models.process import ProcessLease
from slideforge.models.product import Product
from slideforge.models.slideshow import Slideshow
from slideforge.models.slideshow_video import SlideshowVideo
from slideforge.models.studio import StudioVideo
from slideforge.models.template import Template
from slideforge.models.webhook import WebhookDelivery, WebhookEndpoint
from slideforge.models.workspace import ApiKey, BrowserSession, Member, Workspace

__all__ = [
    "Account",
    "AnalyticsPost",
    "AnalyticsRefresh",
    "AnalyticsTarget",
    "ApiKey",
    "Base",
    "BrowserSession",
    "CopyPreview",
    "CreditEntry",
    "Experiment",
    "ExperimentPost",
    "File",
    "Folder",
    "FolderItem",
    "Member",
    "MetricSnapshot",
    "OAuthState",
    "Pack",
    "PackImage",
    "Post",
    "PostRequest",
    "PostTarget",
    "ProcessLease",
    "Product",
    "ProfileSnapshot",
    "Slideshow",
    "SlideshowVideo",
    "StudioVideo",
    "Template",
    "TrendBrief",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workspace",
]
