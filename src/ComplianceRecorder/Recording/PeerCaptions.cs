using ComplianceRecorder.EventStore.Encryption;
using ComplianceRecorder.ReadSide;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ComplianceRecorder.Recording;

/// <summary>
/// Captions of what other recorder instances on the store recorded (#15), so a consumer connected to this one
/// sees every call: the store is read every <see cref="Every"/> from the sequence number it had reached, for
/// finals and gaps some other writer appended (this instance's own become captions as they commit, and a duplicate
/// of another's is not captioned there). Sequence numbers are taken before commit, so a transaction may commit a
/// lower number after a higher one was read: the last <see cref="Window"/> numbers are read again each time and
/// those already passed on are skipped.
/// </summary>
internal sealed class PeerCaptions(NpgsqlDataSource db, StoredText text, string writer, IObserver<Caption> captions, TimeProvider time, ILogger log)
{
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(250);
    private const long Window = 2_000;

    /// <param name="after">Where to start; null: after what the store holds now.</param>
    public async Task RunAsync(CancellationToken ct, long? after = null)
    {
        long high;
        await using (var start = db.CreateCommand("SELECT coalesce(max(seq), 0) FROM events"))
        {
            high = after ?? (long)(await start.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        // what was recorded before this start is for a consumer's Last-Event-ID, not for live delivery
        var floor = high;
        var seen = new SortedSet<long>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Every, time, ct).ConfigureAwait(false);
                await foreach (var (caption, by) in CaptionHistory.WrittenAsync(db, text, Math.Max(0, high - Window), ct).ConfigureAwait(false))
                {
                    if (caption.Seq <= Math.Max(floor, high - Window) || !seen.Add(caption.Seq))
                    {
                        continue;
                    }
                    high = Math.Max(high, caption.Seq);
                    if (by != writer)
                    {
                        captions.OnNext(caption);
                    }
                }
                seen.RemoveWhere(s => s <= high - Window);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // the store may be away for a while: the next pass reads from where this one stopped
                RecorderLog.PeerCaptionsFailed(log, e.ToString());
            }
        }
    }
}
