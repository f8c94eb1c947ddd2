//! What the token requestor appends to the return URL (**[ours]**, wire
//! contract §7): read leniently, kept only where it names the record's own
//! receipts, and never taken as proof of anything.

use super::status::TrStatus;

/// What the TR appended to the return URL ([ours], wire contract §7): its word only.
#[derive(Debug, Default, Clone)]
pub struct ReturnReport {
    pub receipts: Option<String>,
    pub status: Option<String>,
}

impl ReturnReport {
    /// Reads the return URL's query. Anything unreadable or oversized is an
    /// absent report, never an error: the return itself still counts.
    pub fn from_query(query: &str) -> Self {
        let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
            return Self::default();
        };
        let take =
            |name: &str, max: usize| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| v.len() <= max);
        Self { receipts: take("pushAccountReceipts", 1024), status: take("status", 512) }
    }

    /// The report, kept only where it names `our_receipts`: overall status
    /// and `(receipt, status)` pairs. A report about other receipts is
    /// ignored as tampering.
    pub fn matching(&self, our_receipts: &[&str]) -> Option<(String, Vec<(String, String)>)> {
        let receipts: Vec<&str> = self.receipts.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).collect();
        let statuses: Vec<&str> = self.status.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).collect();
        let mut distinct = receipts.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let well_formed = !statuses.is_empty()
            && statuses.len() == receipts.len()
            && distinct.len() == receipts.len()
            && statuses.iter().all(|s| TrStatus::parse(s).is_some())
            && receipts.iter().all(|r| our_receipts.contains(r));
        if !well_formed {
            return None;
        }
        let per_receipt = receipts.iter().zip(&statuses).map(|(r, s)| (r.to_string(), s.to_string())).collect();
        let overall = if statuses.iter().all(|s| *s == statuses[0]) { statuses[0].to_string() } else { "MIXED".into() };
        Some((overall, per_receipt))
    }
}

#[cfg(test)]
mod tests {
    use super::ReturnReport;

    #[test]
    fn the_trs_report_counts_only_for_our_receipts() {
        let report = ReturnReport::from_query("pushAccountReceipts=MCC-1,MCC-2&status=APPROVED,DECLINED");
        let (overall, per) = report.matching(&["MCC-1", "MCC-2"]).unwrap();
        assert_eq!(overall, "MIXED");
        assert_eq!(per, [("MCC-1".to_string(), "APPROVED".to_string()), ("MCC-2".into(), "DECLINED".into())]);
        assert!(report.matching(&["MCC-1"]).is_none(), "a receipt that is not ours");
        let odd = [
            "status=APPROVED",
            "pushAccountReceipts=MCC-1&status=OWNED",
            "pushAccountReceipts=MCC-1,MCC-1&status=APPROVED",
            "pushAccountReceipts=MCC-1,MCC-1&status=APPROVED,CANCELLED",
            "%zz=%zz",
            "",
        ];
        for query in odd {
            assert!(ReturnReport::from_query(query).matching(&["MCC-1"]).is_none(), "{query}");
        }
        let long = format!("pushAccountReceipts={}&status=APPROVED", "A".repeat(2000));
        assert!(ReturnReport::from_query(&long).receipts.is_none());
    }
}
