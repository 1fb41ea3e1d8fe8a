"""Group-buys (社区团购 · 接龙): one order per household, stock, waitlist, payment and pickup.

The package is split by responsibility: `tables` (rows and states), `orders` (the sign-up hot
path: stock and waitlist), `board` (reading), `lifecycle` (opening to cancelling, payments) and
`pickup` (arrival codes and the gate). Its public names are re-exported here.
"""

from __future__ import annotations

from models.groupbuy.board import (
    Board,
    ItemTotal,
    OrderChange,
    OrderLine,
    Promotion,
    board_of,
    building_name,
    household_names,
    item_codes,
    members_of,
    order_line,
)
from models.groupbuy.lifecycle import (
    cancel_groupbuy,
    close_due_groupbuys,
    close_groupbuy,
    confirm_groupbuy,
    extend_groupbuy,
    find_groupbuy,
    go_ahead,
    managed_groupbuy,
    open_groupbuy,
    organiser_board,
    organiser_export,
    reopen_groupbuy,
    set_paid,
)
from models.groupbuy.orders import (
    SignUp,
    cancel_order,
    change_order,
    require_own_room,
    sign_up,
    withdraw,
)
from models.groupbuy.pickup import (
    arrival_report,
    household_pickup,
    mark_arrived,
    open_uncollected_tasks,
    pick_up,
)
from models.groupbuy.tables import (
    CANCELLED,
    CLOSED,
    DRAFT,
    OPEN,
    PICKUP_GRACE,
    PICKUP_TASK,
    GroupBuy,
    GroupBuyItem,
    GroupBuyLine,
    GroupBuyOrder,
    PickupTry,
)

__all__ = [
    "CANCELLED",
    "CLOSED",
    "DRAFT",
    "OPEN",
    "PICKUP_GRACE",
    "PICKUP_TASK",
    "Board",
    "GroupBuy",
    "GroupBuyItem",
    "GroupBuyLine",
    "GroupBuyOrder",
    "ItemTotal",
    "OrderChange",
    "OrderLine",
    "PickupTry",
    "Promotion",
    "SignUp",
    "arrival_report",
    "board_of",
    "building_name",
    "cancel_groupbuy",
    "cancel_order",
    "change_order",
    "close_due_groupbuys",
    "close_groupbuy",
    "confirm_groupbuy",
    "extend_groupbuy",
    "find_groupbuy",
    "go_ahead",
    "household_names",
    "household_pickup",
    "item_codes",
    "managed_groupbuy",
    "mark_arrived",
    "members_of",
    "open_groupbuy",
    "open_uncollected_tasks",
    "order_line",
    "organiser_board",
    "organiser_export",
    "pick_up",
    "reopen_groupbuy",
    "require_own_room",
    "set_paid",
    "sign_up",
    "withdraw",
]
