Attribute VB_Name = "Planbook"
' planbook coordinator buttons.
'
' Each button on the Control sheet runs one planbook job in Python through xlwings.
' The Python side (planbook.excel.run_button) reads the settings on the Control sheet,
' runs the job, and writes the status line, the counts and the file it made back onto
' the Control sheet; problems go to the "Data issues" sheet.  It reports its own errors
' in a plain message box, so no Python traceback reaches the coordinator.
'
' RunPython comes from xlwings: either the xlwings VBA module embedded in this workbook
' (standalone set-up) or the xlwings add-in.  Application.Run finds whichever is there,
' so this workbook needs no VBA reference.
Option Explicit

Public Sub ConsolidateButton()
    RunPlanbook "consolidate"
End Sub

Public Sub WordSummaryButton()
    RunPlanbook "report"
End Sub

Public Sub EmailReportButton()
    RunPlanbook "email"
End Sub

Public Sub SplitForLeadsButton()
    RunPlanbook "split"
End Sub

Private Sub RunPlanbook(ByVal job As String)
    Dim code As String
    code = "import planbook.excel; planbook.excel.run_button('" & job & "')"
    Application.StatusBar = "planbook: " & job & " running..."
    On Error Resume Next
    Application.Run "'" & ThisWorkbook.Name & "'!RunPython", code
    If Err.Number <> 0 Then
        Err.Clear
        Application.Run "xlwings.xlam!RunPython", code
    End If
    If Err.Number <> 0 Then
        MsgBox "planbook could not start Python through xlwings." & vbCrLf & vbCrLf & _
               "Install the xlwings add-in (xlwings addin install) or use the standalone workbook, " & _
               "and check the interpreter on the xlwings.conf sheet." & vbCrLf & vbCrLf & _
               "(" & Err.Description & ")", vbExclamation, "planbook"
        Err.Clear
    End If
    On Error GoTo 0
    Application.StatusBar = False
End Sub
