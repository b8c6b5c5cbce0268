//! Classifying a blob whose body arrives in chunks (a network stream): the splitter, the
//! skim and the typed parse, with the tally kept as it goes.

use std::convert::Infallible;

use time::OffsetDateTime;

use super::split::{Element, Splitter};
use super::{BlobError, bounded, fault_error, stop_error, utf8};
use crate::classify::{TimeBounds, classify_text, worth_parsing};
use crate::count::BlobCount;
use crate::filter::OperationFilter;
use crate::model::AuditEvent;
use crate::rejection::Rejection;

/// Classifies a blob fed to it chunk by chunk, in bounded memory: kept events go to the
/// caller as each chunk is read, the rest is tallied in [`count`](Self::count).
///
/// ```
/// use audit_records::{BlobClassifier, OperationFilter};
///
/// let filter = OperationFilter::All;
/// let mut classifier = BlobClassifier::new(1 << 20, &filter);
/// let mut ids = Vec::new();
/// for chunk in [&b"[{\"Id\":\"a\",\"CreationTime\":\"2026-05-19T13:17:34\",\"Record"[..],
///               &b"Type\":15}]"[..]] {
///     classifier.feed(chunk, &mut |event| { ids.push(event.id); Ok::<_, ()>(()) }).unwrap();
/// }
/// classifier.finish().unwrap();
/// assert_eq!(ids, ["a"]);
/// assert_eq!(classifier.count().kept, 1);
/// ```
pub struct BlobClassifier<'f> {
    splitter: Splitter,
    max_record_bytes: usize,
    filter: &'f OperationFilter,
    /// One clock reading per blob: every record of it is judged against the same bounds.
    bounds: TimeBounds,
    count: BlobCount,
}

impl<'f> BlobClassifier<'f> {
    /// A classifier for one blob.
    pub fn new(max_record_bytes: usize, filter: &'f OperationFilter) -> Self {
        BlobClassifier {
            splitter: Splitter::new(max_record_bytes),
            max_record_bytes,
            filter,
            bounds: TimeBounds::around(OffsetDateTime::now_utc()),
            count: BlobCount::default(),
        }
    }

    /// Classifies the records that end in this chunk; kept events go to `on_event`.
    ///
    /// After an error the blob is unreadable from here on: do not feed more.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        on_event: &mut impl FnMut(AuditEvent) -> Result<(), E>,
    ) -> Result<(), BlobError<E>> {
        let Self {
            splitter,
            max_record_bytes,
            filter,
            bounds,
            count,
        } = self;
        let mut on_element = |element: Element<'_>| {
            match judge(&element, *max_record_bytes, filter, bounds) {
                Ok(Some(event)) => {
                    on_event(event)?;
                    count.count_kept();
                }
                Ok(None) => count.count_filtered(),
                Err(rejection) => count.count_rejected(rejection),
            }
            Ok(())
        };
        splitter
            .feed(chunk, &mut on_element)
            .map_err(|stop| stop_error(splitter, stop))
    }

    /// Says whether the body ended where it may: after the array's `]`.
    pub fn finish(&self) -> Result<(), BlobError> {
        self.splitter
            .finish()
            .map_err(|fault| fault_error::<Infallible>(&self.splitter, fault))
    }

    /// What became of the records so far.
    pub fn count(&self) -> &BlobCount {
        &self.count
    }
}

/// One element: too large or deep, surely not kept (skimmed), or parsed and classified.
#[inline]
fn judge(
    element: &Element<'_>,
    max_record_bytes: usize,
    filter: &OperationFilter,
    bounds: &TimeBounds,
) -> Result<Option<AuditEvent>, Rejection> {
    let text = bounded(element, max_record_bytes)?;
    if !worth_parsing(text, element.keys, element.keys_complete, filter) {
        return Ok(None);
    }
    classify_text(utf8(text)?, filter, bounds)
}

impl BlobError<Infallible> {
    /// The same error for a consumer of another error type: it carries none.
    pub fn never_aborted<E>(self) -> BlobError<E> {
        match self {
            BlobError::NotAnArray { head } => BlobError::NotAnArray { head },
            BlobError::Truncated { records, offset } => BlobError::Truncated { records, offset },
            BlobError::Syntax {
                records,
                offset,
                found,
                expected,
            } => BlobError::Syntax {
                records,
                offset,
                found,
                expected,
            },
            BlobError::Read { records, source } => BlobError::Read { records, source },
            BlobError::Aborted { source, .. } => match source {},
        }
    }
}
