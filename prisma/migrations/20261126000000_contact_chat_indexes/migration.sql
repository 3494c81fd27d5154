-- Every chat update looks its sender up by chat address, across organisations (a Telegram chat id
-- or a Zalo user id is the person's, whichever organisation they belong to): an index each, not a
-- scan of every contact of every organisation.

-- CreateIndex
CREATE INDEX "contacts_telegram_chat_id_idx" ON "contacts"("telegram_chat_id");

-- CreateIndex
CREATE INDEX "contacts_zalo_user_id_idx" ON "contacts"("zalo_user_id");
