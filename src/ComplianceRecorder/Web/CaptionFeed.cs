using System.Reactive.Linq;
using System.Threading.Channels;
using ComplianceRecorder.Pipeline.Captions;
using ComplianceRecorder.Pipeline.Events;
using Npgsql;

namespace ComplianceRecorder.Web;

/// <summary>
/// One consumer's captions. It never slows ingestion: partials coalesce (only an utterance's latest
/// waits to be sent) and finals queue; a consumer so slow that finals pile past the bound is cut off,
/// and reconnecting with Last-Event-ID gets every final it missed from the store.
/// </summary>
public sealed class CaptionFeed : IDisposable
{
    private const int MaxQueuedFinals = 5_000;
    private readonly Channel<Caption> _finals = Channel.CreateUnbounded<Caption>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Caption> _partials = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private readonly IDisposable _subscription;
    private int _queued;

    public CaptionFeed(IObservable<Caption> live, string? call)
    {
        _subscription = live.Where(c => call is null || c.ConversationId == call).Subscribe(OnCaption);
    }

    public bool Overrun { get; private set; }

    private void OnCaption(Caption c)
    {
        if (c.IsFinal || c.Kind != "segment")
        {
            lock (_partials)
            {
                _partials.Remove(c.UtteranceId);
            }
            if (Interlocked.Increment(ref _queued) > MaxQueuedFinals)
            {
                Overrun = true;
            }
            _finals.Writer.TryWrite(c);
        }
        else
        {
            lock (_partials)
            {
                _partials[c.UtteranceId] = c;
            }
        }
        _signal.Release();
    }

    /// <summary>Finals and gaps recorded after <paramref name="afterSeq"/>, from the store: what a reconnecting consumer missed.</summary>
    public static async IAsyncEnumerable<Caption> MissedAsync(NpgsqlDataSource db, long afterSeq, string? call, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT seq, type, schema_version, data::text FROM events
             WHERE seq > $1 AND ($2::text IS NULL OR stream_id = $2)
               AND (type = 'coverage_gap_recorded' OR (type = 'segment_recorded' AND (data->>'isFinal')::boolean))
             ORDER BY seq
            """);
        cmd.Parameters.AddWithValue(afterSeq);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)call ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            switch (EventJson.Deserialize(r.GetString(1), r.GetInt32(2), r.GetString(3)))
            {
                case SegmentRecorded s:
                    yield return Caption.Of(s, r.GetInt64(0));
                    break;
                case CoverageGapRecorded g:
                    yield return Caption.Of(g, r.GetInt64(0));
                    break;
            }
        }
    }

    /// <summary>Live captions in order of arrival, finals first when both wait.</summary>
    public async IAsyncEnumerable<Caption> LiveAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (!Overrun)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            while (_finals.Reader.TryRead(out var f))
            {
                Interlocked.Decrement(ref _queued);
                yield return f;
            }
            Caption[] partials;
            lock (_partials)
            {
                partials = [.. _partials.Values];
                _partials.Clear();
            }
            foreach (var p in partials)
            {
                yield return p;
            }
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _signal.Dispose();
    }
}
