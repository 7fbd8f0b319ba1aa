//! SQLite side of [`QrStore`]: account codes on bills. Every write runs on the one writer thread,
//! so a claim's check and its update can never interleave with another claim.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, UserId},
    property::Building,
};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, building_row, classify, uuid_col};
use crate::store::{AccountScope, ClaimOutcome, NewAccountCode, QrStore, StoreError};

#[async_trait]
impl QrStore for SqliteStore {
    async fn account_scope(&self, account: AccountId) -> Result<Option<AccountScope>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT a.apartment_id, p.building_id, b.company_id
                     FROM accounts a JOIN apartments p ON p.id = a.apartment_id
                     JOIN buildings b ON b.id = p.building_id
                     WHERE a.id = ?1",
                    [account.0.to_string()],
                    |r| {
                        Ok(AccountScope {
                            account_id: account,
                            apartment_id: ApartmentId(uuid_col(r, 0)?),
                            building_id: BuildingId(r.get(1)?),
                            company_id: r.get::<_, Option<String>>(2)?.map(CompanyId),
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn issue_account_code(&self, code: NewAccountCode) -> Result<(), StoreError> {
        self.write(move |tx| {
            let now = code.now.timestamp_millis();
            tx.execute(
                "UPDATE account_codes SET revoked_at = ?2
                 WHERE account_id = ?1 AND claimed_by IS NULL AND revoked_at IS NULL",
                params![code.account_id.0.to_string(), now],
            )?;
            tx.execute(
                "INSERT INTO account_codes (id, account_id, secret_hash, issued_by, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    code.id.to_string(),
                    code.account_id.0.to_string(),
                    code.secret_hash,
                    code.issued_by.0.to_string(),
                    now
                ],
            )
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn claim_account_code(
        &self,
        account: AccountId,
        secret_hash: Vec<u8>,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.write(move |tx| {
            let account = account.0.to_string();
            let user = user.0.to_string();
            let claimed: Option<String> = tx
                .query_row(
                    "UPDATE account_codes SET claimed_by = ?3, claimed_at = ?4
                     WHERE account_id = ?1 AND secret_hash = ?2
                       AND claimed_by IS NULL AND revoked_at IS NULL
                     RETURNING (SELECT apartment_id FROM accounts WHERE id = ?1)",
                    params![account, secret_hash, user, now.timestamp_millis()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(classify)?;
            if let Some(apartment) = claimed {
                tx.execute(
                    "INSERT INTO resident_apartments (user_id, apartment_id) VALUES (?1, ?2)
                     ON CONFLICT DO NOTHING",
                    params![user, apartment],
                )
                .map_err(classify)?;
                let id = uuid::Uuid::parse_str(&apartment)
                    .map_err(|_| StoreError::Corrupt(format!("apartment id {apartment:?}")))?;
                return Ok(ClaimOutcome::Claimed(ApartmentId(id)));
            }
            let state: Option<bool> = tx
                .query_row(
                    "SELECT claimed_by IS NOT NULL FROM account_codes
                     WHERE account_id = ?1 AND secret_hash = ?2",
                    params![account, secret_hash],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(match state {
                Some(true) => ClaimOutcome::AlreadyClaimed,
                Some(false) => ClaimOutcome::Replaced,
                None => ClaimOutcome::Unknown,
            })
        })
        .await
    }

    async fn company_buildings(&self, company: CompanyId) -> Result<Vec<Building>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, address, company_id, region_id, lat, lon FROM buildings
                 WHERE company_id = ?1 ORDER BY address, id",
            )?;
            let rows = stmt.query_map([company.0], building_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
