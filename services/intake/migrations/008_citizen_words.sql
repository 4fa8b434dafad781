-- What a citizen writes stays here: a withdrawal's reason is kept on the dossier for the staff,
-- and events carry a fixed phrase (personal words never reach Kafka).
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS withdrawal_reason text;
