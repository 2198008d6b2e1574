namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>What validation found in one record: its first failure, if any, and whether it carried the project token.</summary>
internal struct RecordCheck
{
    public string? Field;
    public string? Message;

    // Whether the record carried the project token; set by each record kind's rules.
    public bool TokenMatches;

    /// <summary>Keeps the failure unless the record already failed: Mixpanel reports one failure per record, the first.</summary>
    public void Fail(string field, string message)
    {
        if (Field is null)
        {
            Field = field;
            Message = message;
        }
    }
}
