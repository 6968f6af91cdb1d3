/*
 * migration_28.c - step 28: video messages (docs/video-messages.md).
 *
 * A video is an attachment like a photo, so it shares the photo's table,
 * its visibility rules, its review and its retention: attachments.kind
 * says which ('photo' for every row before this step), duration_ms is the
 * video's length as the helper measured it, and poster holds the JPEG of
 * its first frame, shown in lists before anyone presses play (NULL for
 * photos, and once retention has purged the video's bytes).
 *
 * facility_policies.videos_allowed: whether the facility takes video
 * messages.  Allowed by default with a price, as a platform would sell
 * them, except at facilities under the federal profile, which is text only
 * (TRULINCS carries no photos or video); a facility turns it on or off.
 *
 * facility_prices gains a video's price in each model, as photos have:
 * video_cents (balance and subscription), stamps_per_video, credits_per_video.
 * Rows saved before this step take the profiles' defaults (pricing.c).
 */
#include "db/migrations.h"

const char kite_migration_28_sqlite[] =
    "ALTER TABLE attachments ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo';"
    "ALTER TABLE attachments ADD COLUMN duration_ms INTEGER;"
    "ALTER TABLE attachments ADD COLUMN poster BLOB;"
    "ALTER TABLE facility_policies ADD COLUMN videos_allowed INTEGER NOT NULL DEFAULT 1;"
    "UPDATE facility_policies SET videos_allowed = 0 WHERE profile = 'federal';"
    "ALTER TABLE facility_prices ADD COLUMN video_cents INTEGER NOT NULL DEFAULT 100;"
    "ALTER TABLE facility_prices ADD COLUMN stamps_per_video INTEGER NOT NULL DEFAULT 3;"
    "ALTER TABLE facility_prices ADD COLUMN credits_per_video INTEGER NOT NULL DEFAULT 3;";

const char kite_migration_28_pg[] =
    "ALTER TABLE attachments ADD COLUMN kind TEXT COLLATE \"C\" NOT NULL DEFAULT 'photo';"
    "ALTER TABLE attachments ADD COLUMN duration_ms BIGINT;"
    "ALTER TABLE attachments ADD COLUMN poster BYTEA;"
    "ALTER TABLE facility_policies ADD COLUMN videos_allowed BIGINT NOT NULL DEFAULT 1;"
    "UPDATE facility_policies SET videos_allowed = 0 WHERE profile = 'federal';"
    "ALTER TABLE facility_prices ADD COLUMN video_cents BIGINT NOT NULL DEFAULT 100;"
    "ALTER TABLE facility_prices ADD COLUMN stamps_per_video BIGINT NOT NULL DEFAULT 3;"
    "ALTER TABLE facility_prices ADD COLUMN credits_per_video BIGINT NOT NULL DEFAULT 3;";
