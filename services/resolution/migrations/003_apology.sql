-- Form 04 (phiếu xin lỗi và hẹn lại ngày trả kết quả): the latest apology of a case and the new
-- appointment it promised. The due time itself is not moved: statistics count against it.
ALTER TABLE cases
    ADD COLUMN IF NOT EXISTS new_appointment_at timestamptz,
    ADD COLUMN IF NOT EXISTS apology_reason     text;
