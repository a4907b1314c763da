"""STUDENT and STUDENT_SCHOOL_ENROLMENT: who is reported, with FTE and attendance."""
